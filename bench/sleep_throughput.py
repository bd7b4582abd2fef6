#!/usr/bin/env python
"""Sleep-training throughput: the same as `sleeptrain bench throughput [options]` (see `--help`).
Trains the same examples, model and LoRA config with SleepTrain's trainer (its default batching, packed rows,
answer-only logits) and
with Hugging Face `Trainer` + PEFT and its padding collator in one run; prints tokens/s, padding, FLOP/s
against a matmul peak measured in the same run, and one line of JSON (`--json FILE` writes it too)."""

import sys
from sleeptrain.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "throughput", *sys.argv[1:]]))
