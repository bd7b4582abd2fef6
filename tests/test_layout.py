"""The package reads in one direction: no module imports a module that comes later in the notebook order.

Every import is checked, function-local ones included, by walking each module's syntax tree. The order is the
order of the notebooks in `nbs/` (their file names), each naming its module with `#| default_exp`.
"""
import ast, json, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sleeptrain"


def notebook_order() -> list[str]:
    "Module names in reading order, from the `#| default_exp` of each top-level notebook, sorted by file name."
    order = []
    for nb_path in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = json.loads(nb_path.read_text())["cells"]
        for cell in cells:
            match = re.search(r"^#\|\s*default_exp\s+(\S+)", "".join(cell["source"]), flags=re.M)
            if match:
                order.append(match.group(1))
                break
    return order


def internal_imports(path: Path) -> list[tuple[int, str]]:
    "(line, module) for every import of a sleeptrain module in the file at `path`, wherever it stands."
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.append((node.lineno, node.module.split(".")[0]))
            elif node.level == 1:
                found.extend((node.lineno, alias.name) for alias in node.names)
            elif node.module and node.module.startswith("sleeptrain."):
                found.append((node.lineno, node.module.split(".")[1]))
            elif node.module == "sleeptrain":
                found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[1]) for alias in node.names
                         if alias.name.startswith("sleeptrain."))
    return found


def test_every_module_has_a_notebook():
    order = notebook_order()
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))
    assert sorted(order) == modules, (order, modules)


def test_no_module_imports_a_later_one():
    order = notebook_order()
    rank = {name: i for i, name in enumerate(order)}
    upward = []
    for name in order:
        for line, target in internal_imports(PACKAGE / f"{name}.py"):
            if target == "_modidx":
                continue
            assert target in rank, f"{name}.py:{line} imports unknown module {target!r}"
            if rank[target] >= rank[name]:
                upward.append(f"{name}.py:{line} imports {target} (notebook {rank[target]} >= {rank[name]})")
    assert not upward, "\n".join(upward)


def test_the_checker_sees_function_local_imports(tmp_path):
    source = "from .core import x\n\ndef f():\n    from sleeptrain.agent import y\n    import sleeptrain.cli\n"
    (tmp_path / "m.py").write_text(source)
    assert internal_imports(tmp_path / "m.py") == [(1, "core"), (4, "agent"), (5, "cli")]


def test_report_renders_without_torch(tmp_path):
    script = f"""
import sys
from pathlib import Path
from sleeptrain.report import leaderboard_row, write_report
from sleeptrain.hedge import Hedge
policy = Hedge()
policy.update({{"REJECT": 0.0, "STORE": 1.0, "CORRECT": 0.5}})
rows = [leaderboard_row("naive", {{0: [[1.0, None], [0.5, 1.0]]}})]
matrices = {{"naive": {{0: [[1.0, None], [0.5, 1.0]]}}}}
page = write_report(Path({str(tmp_path)!r}), rows, matrices=matrices, policy=policy)
heavy = sorted(m for m in ("torch", "transformers", "peft", "lancedb", "ipywidgets") if m in sys.modules)
print("heavy:", heavy, "bytes:", Path(page).stat().st_size)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "heavy: [] " in done.stdout, done.stdout
