# SleepTrain: `make demo` sets everything up and runs the end-to-end wake/sleep demo;
# `make test` sets everything up and runs the whole test suite. Both are idempotent.
PY := .venv/bin/python
BIN := .venv/bin
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test lint nbtest pytest sync readme clean-nbs

setup: .venv/.setup-done

.venv/.setup-done: setup.py settings.ini scripts/setup.sh
	bash scripts/setup.sh
	touch $@

demo: setup
	$(BIN)/sleeptrain demo $(ARGS)

test: setup
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --timing   # one thread per worker: two workers on two cores, no oversubscription
	OMP_NUM_THREADS=1 $(BIN)/pytest -q -n 2 --dist loadfile tests   # two workers, one thread each; a file's tests share a worker (module fixtures built once)

lint: setup
	$(BIN)/ruff check .   # line length 120, one statement per line, pyflakes (ruff.toml); CI runs it too

readme: setup
	$(PY) scripts/make_readme.py

sync: setup
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(PY) scripts/make_readme.py
