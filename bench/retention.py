#!/usr/bin/env python
"""Retention benchmark: the same as `sleeptrain bench retention [options]` (see `--help`).
Days of new fictional facts, one sleep per day, SleepTrain next to naive sequential LoRA on the same
stream in one run: accuracy matrix, ACC/BWT/forgetting, last-day recall, locality, perplexity drift and
the wall time of each sleep, then one line of JSON (`--json FILE` writes it too)."""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "retention", *sys.argv[1:]]))
