#!/usr/bin/env python
"""Run notebooks in place and keep their outputs, so the docs site shows tables and plots.

    python scripts/execute_notebooks.py nbs/index.ipynb nbs/tutorials/quickstart.ipynb

The docs workflow runs it on the front page and the tutorials before `nbdev_docs` (a reader's full run, not the
reduced one `nbdev_test` makes with IN_TEST). Progress bars are switched off (SLEEPTRAIN_QUIET=1), and what went to
stderr (progress bars, library warnings) is dropped, so the outputs hold results. A cell that raises stops the run
with the notebook's name, and the notebook is left unchanged.
"""
import os, sys
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell


def execute(path: Path) -> None:
    "Execute the notebook at `path` in its own folder and write it back with its outputs."
    nb = read_nb(path)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        shell = CaptureShell()
        shell.run_all(nb, exc_stop=True)
    finally:
        os.chdir(cwd)
    for cell in nb.cells:                       # progress bars and library warnings are not results
        if cell.get("outputs"):
            cell["outputs"] = [o for o in cell["outputs"] if o.get("name") != "stderr"]
    write_nb(nb, path)


def main(argv: list) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("SLEEPTRAIN_QUIET", "1")
    for name in argv:
        path = Path(name).resolve()
        print(f"running {name} ...", flush=True)
        try:
            execute(path)
        except Exception as e:
            print(f"{name}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
