#!/usr/bin/env python
"""Real benchmarks: the same as `sleeptrain bench real --task TASK --data FILE [options]` (see `--help`).
SQuAD passages (SEAL's protocol), CounterFact or zsRE edits, or LoCoMo conversations observed day by day; base, passage
in context, RAG, naive LoRA, SleepTrain and SleepTrain+RAG answer the same prompts; every answer is kept in `--out` so
a stopped run resumes; then one line of JSON (`--json FILE` writes it too)."""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "real", *sys.argv[1:]]))
