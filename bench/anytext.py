#!/usr/bin/env python
"""Any-text benchmark: the same as `sleeptrain bench anytext [options]` (see `--help`).
Free-form statements, first-person notes and template facts observed, one sleep, then the development set's held-out
natural questions (sleeptrain/data/anytext_dev.json) answered closed book before and after it, next to RAG; then one
line of JSON (`--json FILE` writes it too)."""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "anytext", *sys.argv[1:]]))
