# The habits of this project. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := customer_api

.PHONY: run test lint format clean bench

# Each stamp is rebuilt when its requirements change, so a pull that adds a package just works.
$(VENV)/.run: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.run requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.run ## serve the API on http://localhost:$(PORT) with the embedded defaults
	$(BIN)/flask db upgrade
	$(BIN)/flask users ensure-admin
	$(BIN)/flask run --host 0.0.0.0 --port $(PORT)

test: $(VENV)/.dev ## run every test (real MariaDB/Redis too when TEST_DATABASE_URL/TEST_REDIS_URL are set)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev ## ruff, ruff format --check, mypy, hadolint, actionlint, docker compose config
	$(BIN)/ruff check src tests migrations bench gunicorn.conf.py
	$(BIN)/ruff format --check src tests migrations bench gunicorn.conf.py
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint
	@# A machine without compose still checks the file: tests/integration/test_deployment_files.py.
	@if docker compose version >/dev/null 2>&1; then docker compose config -q; \
	elif command -v docker-compose >/dev/null; then docker-compose config -q; \
	else echo "lint: no docker compose here; skipped its config check"; fi

format: $(VENV)/.dev
	$(BIN)/ruff check --fix src tests migrations bench gunicorn.conf.py
	$(BIN)/ruff format src tests migrations bench gunicorn.conf.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

bench: $(VENV)/.run ## load benchmark under gunicorn with wrk (BENCH_DATABASE_URL, BENCH_REDIS_URL optional)
	@command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py
