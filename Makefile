# Two commands do everything on a fresh machine:
#   make serve   set up, migrate, load the seed content and serve the API on http://127.0.0.1:8000/
#   make test    set up, then lint, check migrations and run the test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup serve test editor bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@# The browser test drives Debian's Chromium (Playwright's own browser download does not work here).
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

serve: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_seeds
	@# The task worker (newsletter emails, printed here by the console email backend; webhooks)
	@# runs beside the server and stops with it. Webhook endpoints may be local here.
	export DEBUG=$${DEBUG:-1} PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
	  WEBHOOK_ALLOW_PRIVATE_TARGETS=$${WEBHOOK_ALLOW_PRIVATE_TARGETS:-1}; \
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

editor: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createsuperuser

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# Load benchmark (bench/README.md); BENCH_ARGS="--duration 30" passes options to bench/run.py.
bench: setup
	command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	@# Search's RUM index (articles/migrations/0014), as in production on PostgreSQL.
	dpkg -s postgresql-$$(ls /etc/postgresql)-rum >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-$$(ls /etc/postgresql)-rum; }
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media
