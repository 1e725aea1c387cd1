# The two commands the README promises: `make demo` and `make test`. Both install on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/ecot-annotate
STAMP := $(VENV)/.installed-stamp
SHARED_BRIDGE := ../shared/data/bridge_debug/bridge_dataset/1.0.0
export HF_HUB_OFFLINE ?= 1
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install browser demo test bench lint format clean

install: $(STAMP)

# torch==2.13.0 first: it is the CPU build this machine has on disk; an open range would fetch CUDA.
$(STAMP): setup.cfg setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[all,test]'
	touch $(STAMP)

demo: install
	$(CLI) make-sample demo/sample --episodes 8
	$(CLI) annotate demo/sample/ecot_sample/1.0.0 --out demo/out --format parquet,ecot-json,rlds --overwrite
	$(CLI) show demo/out --episode 0 --step 0
	$(CLI) show demo/out --episode 0 --step 12
	$(CLI) stats demo/out
	$(CLI) report demo/out --html demo/report
	@echo "Outputs: demo/out (parquet/, ecot/reasonings.json, rlds/, quarantine/, summary.json); report: demo/report/index.html"

# The report's browser tests drive Debian's chromium; they skip (saying how to get it) when it is absent.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) || echo "chromium not installed: the report's browser tests will skip"

test: install browser
	$(PY) -m pytest -q

bench: install
	$(PY) -m benchmarks

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf demo bench-results test-artifacts
