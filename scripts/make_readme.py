#!/usr/bin/env python
"""Regenerate README.md from nbs/index.ipynb without Quarto (nbdev_readme needs Quarto, which these
machines cannot install). `--check` exits 1 when README.md is out of date instead of writing it."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "<!-- generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file -->\n\n"

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]).strip("\n")
        if not src or any(line.strip().startswith(("#| hide", "#|hide")) for line in src.splitlines()[:3]):
            continue
        if cell["cell_type"] == "markdown":
            parts.append(src.replace("](images/", "](nbs/images/"))
        elif cell["cell_type"] == "code":
            code = "\n".join(line for line in src.splitlines() if not line.startswith("#|"))
            parts.append(f"```python\n{code}\n```")
    return HEADER + "\n\n".join(parts) + "\n"

def main(argv):
    text = render(ROOT / "nbs" / "index.ipynb")
    readme = ROOT / "README.md"
    if "--check" in argv:
        if not readme.exists() or readme.read_text() != text:
            print("README.md is out of date with nbs/index.ipynb: run `python scripts/make_readme.py`", file=sys.stderr)
            return 1
        return 0
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(readme)
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
