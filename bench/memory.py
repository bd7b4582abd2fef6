#!/usr/bin/env python
"""Memory-store benchmark: the same as `sleeptrain bench memory [options]` (see `--help`).
Prints upsert throughput (batches of `--batch`), query latency p50/p95 one at a time and batched, recall@10 of the
exact path and of the ANN index next to an exact NumPy brute-force top-k measured in the same run, peak memory, index
build time, and a tail of real sentence embeddings (`--squad FILE`: SQuAD's sentences) upserted after the index,
before and after `optimize`; then one line of JSON (`--json FILE` writes it too)."""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "memory", *sys.argv[1:]]))
