# The two commands a newcomer needs: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint ci install migrate seed clean bench faults wapiti

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## Install, migrate, build the demo city (once), print the demo logins and serve http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## Run the whole test suite on the embedded default (SQLite, eager tasks)
test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

## What CI runs: the suite on SQLite, then on PostgreSQL + Redis + Chromium, and the checks
ci:
	bash .ci/run

## Province-scale benchmark (issue 8; not part of CI): PostgreSQL and Redis as .ci/run starts them, wrk from Debian,
## the 1,000,000-member demo city (built once, then reused), gunicorn; writes docs/PERFORMANCE.md. About an hour.
## BENCH_REV=HEAD measures that commit instead of the working tree; BENCH_ARGS passes options (bench/run.py --help).
bench: $(STAMP)
	bash -c 'source .ci/services.sh && \
	  { command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; } && \
	  $(BIN)/python bench/run.py $(if $(BENCH_REV),--rev $(BENCH_REV)) $(BENCH_ARGS)'

## Fault injection (issue 15): each fault of docs/RELIABILITY.md against a real worker, on a PostgreSQL cluster and a
## Redis of its own (free ports, removed afterwards); asserts the good outcomes and prints the figures. About 3 minutes.
faults: $(STAMP)
	bash -c 'source .ci/services.sh >/dev/null && $(BIN)/python scripts/faults.py'

## A bounded wapiti scan of a local gunicorn on loopback (issue 19; Debian's wapiti package): no 500, nothing above
## "low". WAPITI_CRAWL (default 60) bounds the crawl of each of its two scans (logged out, community staff) in seconds;
## each of its 18 attack modules is then cut off after WAPITI_ATTACK seconds (default 20).
wapiti: $(STAMP)
	{ command -v wapiti >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wapiti >/dev/null; }; } && \
	  $(BIN)/python scripts/wapiti_scan.py --crawl-time $(or $(WAPITI_CRAWL),60) --attack-time $(or $(WAPITI_ATTACK),20)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
