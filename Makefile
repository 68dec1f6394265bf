# 360 Marketplace — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
PORT ?= 8000
HOST ?= 127.0.0.1
# The printed links: this machine's loopback when `HOST` opens every interface.
URL_HOST := $(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST))
# Dummy values that let `docker-compose config` resolve the required variables.
COMPOSE_CHECK_ENV := SECRET_KEY=check JWT_SIGNING_KEY=check METRICS_TOKEN=check

.PHONY: help run test system-deps lint worker messages bench load client fuzz lock clean

help:
	@echo "make run     - install, migrate, load demo data and serve http://$(HOST):$(PORT)"
	@echo "               (HOST=0.0.0.0: reachable from a phone on this network)"
	@echo "make test    - lint, type-check and run the whole suite on PostgreSQL and Redis"
	@echo "make worker  - Celery workers, one per queue, and beat (needs REDIS_URL)"
	@echo "make messages - refresh and compile the ru/ky/en translations"
	@echo "make bench   - feed and search load test on PostgreSQL (BENCH_ARGS=\"--listings 1000000\")"
	@echo "make load    - mixed load in rising stages, then a consistency check (LOAD_ARGS=\"--record\")"
	@echo "make client  - regenerate the TypeScript API types in clients/typescript (needs npm)"
	@echo "make fuzz    - a long random schemathesis run over every operation (FUZZ_EXAMPLES=500)"
	@echo "make lock    - pin every package, with hashes, from requirements*.in into requirements*.txt"
	@echo "               (LOCK_ARGS=\"--upgrade-package NAME\" to move one; pins are kept otherwise)"

# The pip that pip-tools is known to work with, pinned in requirements-dev.in.
PIP_VERSION := $(shell sed -n 's/^pip==//p' requirements-dev.in)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install pip==$(PIP_VERSION)

# The locks (`make lock`) pin every package with its hashes: pip installs nothing they don't list.
$(VENV)/.runtime: requirements.txt | $(PY)
	$(PIP) install --require-hashes -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --require-hashes -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

run: export DJANGO_SETTINGS_MODULE = marketplace.settings.local
run: $(VENV)/.runtime
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py seed_demo --base-url http://$(URL_HOST):$(PORT)
	@echo
	@$(PY) -m marketplace.devhosts $(HOST) $(PORT)
	@echo "  database: $${DATABASE_URL:-SQLite db.sqlite3}; redis: $${REDIS_URL:-none, in-memory}"
	@exec $(VENV)/bin/uvicorn marketplace.asgi:application --host $(HOST) --port $(PORT) \
		--no-access-log --no-proxy-headers --lifespan off

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-cache

# The system packages the suite needs: installed when run as root, else named with the command.
system-deps:
	@scripts/system-deps

test: export DJANGO_SETTINGS_MODULE = marketplace.settings.test
test: system-deps lint
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=marketplace.settings.local \
		$(PY) manage.py makemigrations --check --dry-run
	$(COMPOSE_CHECK_ENV) docker-compose config -q
	$(VENV)/bin/pytest -n 2 --durations=20

# One worker per queue, as in docker-compose.yml, so a video's encode never holds up a login
# SMS; beat runs in the `default` one. When one stops, the others are stopped too.
worker: $(VENV)/.runtime
	@test -n "$$REDIS_URL" || { echo "make worker needs REDIS_URL (without it, tasks run inside make run)"; exit 1; }
	trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	$(VENV)/bin/celery -A marketplace worker --loglevel=INFO --queues critical \
		--hostname critical@%h --concurrency 2 & \
	$(VENV)/bin/celery -A marketplace worker --loglevel=INFO --queues default \
		--hostname default@%h --concurrency 2 --beat \
		--scheduler django_celery_beat.schedulers:DatabaseScheduler & \
	$(VENV)/bin/celery -A marketplace worker --loglevel=INFO --queues media \
		--hostname media@%h --concurrency 1 & \
	wait -n

messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l ru -l ky -l en --ignore=.venv --ignore=tests --ignore=locale \
		--no-obsolete --no-wrap
	$(PY) locale/translations.py
	$(PY) manage.py compilemessages --ignore=.venv

bench: $(VENV)/.dev
	$(PY) bench/feed_search.py $(BENCH_ARGS)
	$(PY) bench/chat.py $(CHAT_BENCH_ARGS)

# Production's processes on loopback under a mixed load; fails on any 5xx or lost write.
load: $(VENV)/.dev
	$(PY) bench/load.py $(LOAD_ARGS)

# The schema needs no services: local settings without DATABASE_URL / REDIS_URL.
client: $(VENV)/.runtime
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=marketplace.settings.local \
		$(PY) manage.py spectacular --lang en --format openapi-json --validate --fail-on-warn \
		--file clients/typescript/openapi.json
	cd clients/typescript && npm ci --no-audit --no-fund && npm run --silent generate

# New random examples each run, many more than CI's fixed few; PostgreSQL and Redis as for `make test`.
fuzz: export DJANGO_SETTINGS_MODULE = marketplace.settings.test
fuzz: $(VENV)/.dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} FUZZ_RANDOM=1 $(VENV)/bin/pytest -n 2 -m fuzz tests/test_schema.py

# One resolution for both locks: requirements-dev.txt from requirements-dev.in (which includes
# requirements.in), then requirements.txt from requirements.in within it, so a package both hold
# has one version. Only PyPI is asked (the machine's pip configuration is left out, so no local
# index or wheel folder reaches the locks), and existing pins are kept unless LOCK_ARGS moves them.
# tests/test_requirements_lock.py checks the locks against these flags and the .in files.
PIP_COMPILE := env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras $(LOCK_ARGS)

lock: $(VENV)/.dev
	$(PIP_COMPILE) --output-file=requirements-dev.txt requirements-dev.in
	$(PIP_COMPILE) --constraint=requirements-dev.txt --output-file=requirements.txt requirements.in

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .pytest_cache .mypy_cache .ruff_cache
