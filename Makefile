# Two commands set everything up on a fresh machine: `make serve` and `make test`.
# `make serve HOST=0.0.0.0 PORT=9000` listens elsewhere (default 127.0.0.1:8000).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
YIBAO := $(VENV)/bin/yibao
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser model ingest serve test lint clean

# torch==2.13.0 first: it is the CPU build this machine serves; any other torch pulls CUDA.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "需要 Python >= 3.11" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the widget's browser tests (Playwright's own download cannot work
# here) and a CJK font so pages render Chinese. Installed only when missing; needs root.
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
		echo "安装 chromium、chromium-driver 与中文字体 …"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver fonts-noto-cjk >/dev/null; \
	fi

model: install
	$(YIBAO) model

ingest: model
	$(YIBAO) ingest --if-stale

serve: ingest
	$(YIBAO) serve --host $(HOST) --port $(PORT)

test: install browser
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check qa ingest api eval tests
	$(VENV)/bin/ruff format --check qa ingest api eval tests
	$(VENV)/bin/mypy qa ingest api eval

clean:
	rm -rf .yibao .pytest_cache .mypy_cache .ruff_cache
