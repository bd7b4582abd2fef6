#!/usr/bin/env python
"""Continual benchmark: the same as `sleeptrain bench continual [options]` (see `--help`).
One seeded stream of days (new fictional facts; from day 2, updates of earlier facts and poisoned claims from a
'rumour' source; small-talk distractors) lived through in one process by base, rag, naive, sleeptrain,
sleeptrain+share and sleeptrain+rag: accuracy matrices, ACC/BWT/FWT/forgetting, update accuracy, poison
resistance, locality, perplexity drift, context tokens, sleep seconds, FLOPs, peak memory and stored parameters.
Writes leaderboard.json, matrices.json, plots and report.html into --out, prints the table and one line of JSON
(`--json FILE` writes it too). `sleeptrain bench ablations --out SAME_DIR` adds SleepTrain's single switch-offs
to the same leaderboard. `--model tiny` checks the plumbing in seconds (a random 2-layer model learns nothing)."""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "continual", *sys.argv[1:]]))
