# The README's two commands: `make run` and `make test`. Everything they need is
# installed from the pinned requirements files into .venv, rebuilt when those change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
CHROMIUM := /usr/bin/chromium
# `make run PORT=8080` (5000 is taken on many Macs); HOST=0.0.0.0 to reach it from
# another device on your network.
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench chromium clean

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

instance/secret_key:
	mkdir -p instance
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

run: $(VENV)/.runtime instance/secret_key
	MEND_ENV=development $(FLASK) db upgrade
	MEND_ENV=development $(FLASK) templates load
	MEND_ENV=development $(FLASK) users demo
	MEND_ENV=development RUN_SCHEDULER_IN_PROCESS=1 $(FLASK) run --host $(HOST) --port $(PORT)

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's Chromium for the browser tests (apt-get install chromium)"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "The browser tests need Debian's Chromium at $(CHROMIUM)."; \
	    echo "Install it with:  sudo apt-get install chromium"; \
	    exit 1; \
	  fi; \
	fi

test: $(VENV)/.dev chromium
	$(BIN)/python -m pytest

bench: $(VENV)/.dev
	$(BIN)/python -m bench.dispatch
	$(BIN)/python -m bench.audit
	$(BIN)/python -m bench.repairs
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.recovery

clean:
	rm -rf $(VENV) .pytest_cache
