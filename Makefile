# Two commands for everything: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HTMX_VERSION := 2.0.11
PYTEST_ARGS ?=

.PHONY: run serve test test-fast bench install install-dev browser vendor-htmx clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Serve on http://localhost:5000 (FLASK_RUN_HOST / FLASK_RUN_PORT and FLASK_* config honoured).
## Open it at localhost, not 127.0.0.1: PUBLIC_URL defaults to http://localhost:<port>, and a
## WebAuthn relying-party id cannot be an IP address.
run: install
	$(BIN)/flask --app wsgi db upgrade
	@echo "Open http://localhost:$${FLASK_RUN_PORT:-5000} (localhost, not 127.0.0.1); texts appear at /dev/outbox."
	FLASK_RUN_HOST=$${FLASK_RUN_HOST:-127.0.0.1} FLASK_RUN_PORT=$${FLASK_RUN_PORT:-5000} \
		$(BIN)/flask --app wsgi run --no-debugger

## Production-style server (gunicorn.conf.py).
serve: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## Debian's chromium for the browser tests (never a browser download of a tool's own).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

## Install everything the tests need, then run them all.
test: install-dev browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Load and speed benchmarks against gunicorn on 127.0.0.1 (about 10 minutes; see bench/run.py).
## Not part of `make test`. PostgreSQL + Redis figures need both on 127.0.0.1 (else skipped).
bench: install-dev
	$(BIN)/python bench/run.py

## Refresh the vendored htmx from the npm registry (pinned version in the file name).
vendor-htmx:
	cd $$(mktemp -d) && npm pack htmx.org@$(HTMX_VERSION) --silent && tar xzf htmx.org-$(HTMX_VERSION).tgz && \
		cp package/dist/htmx.min.js $(CURDIR)/app/static/vendor/htmx-$(HTMX_VERSION).min.js

clean:
	rm -rf $(VENV) .pytest_cache
