#!/usr/bin/env python
"""Memory-store benchmark: the same as `sleeptrain bench memory [options]` (see `--help`).
Prints upsert throughput, query latency p50/p95 and ANN recall@10 next to an exact NumPy brute-force
top-k measured in the same run, then one line of JSON (`--json FILE` writes it too)."""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "memory", *sys.argv[1:]]))
