# The two commands: `make run` (set up + demo server) and `make test` (set up + lint + all tests).
PYTHON ?= python3
PY := .venv/bin/python
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export PYTHONUNBUFFERED := 1

.PHONY: run test setup lint check-migrations browser-deps clean-db schema

.venv/.installed: requirements.txt
	$(PYTHON) -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

setup: .venv/.installed node_modules/.installed
	$(PY) manage.py migrate --noinput

run: setup
	$(PY) manage.py demo --if-empty
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# Debian's chromium drives the browser tests; Noto CJK renders Chinese in screenshots and PDFs;
# poppler-utils' pdftoppm rasterises a bulletin's first page in its test.
browser-deps:
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && fc-list | grep -q "Noto Sans CJK" || \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk poppler-utils)

lint: .venv/.installed
	$(PY) -m ruff check .

check-migrations: .venv/.installed
	$(PY) manage.py makemigrations --check --dry-run

test: setup browser-deps lint check-migrations
	$(PY) -m pytest

# Regenerate the checked-in OpenAPI schema (api/openapi.yaml); a test fails when it is stale.
schema: setup
	$(PY) manage.py api_schema

clean-db:
	rm -f var/db.sqlite3 var/db.sqlite3-wal var/db.sqlite3-shm
