#!/usr/bin/env python
"""Share benchmark: the same as `sleeptrain bench share [options]` (see `--help` and `nbs/22_bench_share.ipynb`).
One adapter per day of new facts folded into one Share subspace, against each day's own adapter, PEFT's merges and
the agent's on-top scheme, and a new day in coefficients only; a table, then one line of JSON (`--json FILE` too).

    python bench/share.py --days 4 --facts 6 --seed 0
    python bench/share.py --model tiny --days 2 --facts 2 --epochs 1   # smoke run on a tiny random model
"""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "share", *sys.argv[1:]]))
