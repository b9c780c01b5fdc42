# Two commands for a newcomer: `make run` starts the product, `make test` runs every test.
# Both create the virtual environment on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

CORPUS ?= ../shared/data/rurebus
MODEL_RUN ?= runs/default-model

.PHONY: run test install model mutation clean

# The pinned versions first, then the project itself, editable: `python -m converters|trainer|backend`
# and the rurebus-* commands then work from any directory, and find the shipped model in pretrained/.
$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-test.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m backend.run

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The shipped model (pretrained/rurebus-e5-small), retrained from the corpus: epochs 1-2 of a
# 3-epoch schedule, then the third epoch continued at that epoch's learning rates. About 10 min on
# an H200, 1.5-2 h on 2 CPU cores. Copy $(MODEL_RUN)/checkpoint to pretrained/ to ship it.
model: $(STAMP)
	$(PY) -m trainer train --config configs/default-model.json --stop-after-epochs 2 \
	    --data $(CORPUS)/train --splits $(CORPUS)/splits.json --output $(MODEL_RUN)/epochs-1-2 --force
	$(PY) -m trainer train --config configs/default-model.json --init-from $(MODEL_RUN)/epochs-1-2 \
	    --epochs 1 --learning-rate 5.3e-5 --head-learning-rate 3.3e-4 --warmup-ratio 0 --patience 0 \
	    --data $(CORPUS)/train --splits $(CORPUS)/splits.json --output $(MODEL_RUN)/checkpoint --force
	$(PY) -m trainer evaluate $(CORPUS)/train --splits $(CORPUS)/splits.json --split dev \
	    --model $(MODEL_RUN)/checkpoint -o $(MODEL_RUN)/dev-report

# Mutation testing of the core modules ([tool.mutmut] in pyproject.toml): scoring, BIO/Viterbi
# tagging, relation voting and linking, the brat parser and writer, promotion, tracks and runtime.
# Slow (over an hour on 2 cores: the inference and promotion mutants rerun tests that train a
# tiny model), so not part of `make test` or CI. Works in mutants/ (git-ignored), never on the sources.
# One module: make mutation MUTANTS='"trainer.tagging*"' (mutant-name globs; see docs/experiments.md).
mutation: $(STAMP)
	$(VENV)/bin/mutmut run --max-children $(or $(MUTATION_JOBS),2) $(MUTANTS)
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) .ls-venv mutants
