#!/usr/bin/env python
"""Quantised-sleep benchmark: the same as `sleeptrain bench quantized [options]` (see `--help` and
`nbs/23_bench_quantized.ipynb`). The same facts slept into one model in fp32 and in 4-bit NF4 (QLoRA), each with a
fresh agent: recall, locality, perplexity drift, footprint and time, then one line of JSON (`--json FILE` too).

    python bench/quantized.py                      # 24 facts, 5 epochs, default model (offline)
    python bench/quantized.py --facts 2 --epochs 1 # a smoke run
"""
import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "quantized", *sys.argv[1:]]))
