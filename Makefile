# The README's commands. `make demo` serves the demo on SQLite; `make test` runs
# every test, on DATABASE_URL when it is set and on SQLite otherwise.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000

.PHONY: demo test lint format messages check-messages bench bench-data clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

locale/fr/LC_MESSAGES/django.mo: locale/fr/LC_MESSAGES/django.po $(STAMP)
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0

messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages --locale fr --ignore=.venv --ignore=var --no-obsolete --add-location file

# Fails when a translatable text has no French translation, or a fuzzy one.
check-messages: messages
	@untranslated=$$(msgattrib --untranslated locale/fr/LC_MESSAGES/django.po | grep -c '^msgid' || true); \
	fuzzy=$$(msgattrib --only-fuzzy locale/fr/LC_MESSAGES/django.po | grep -c '^msgid' || true); \
	if [ "$$untranslated$$fuzzy" != "00" ]; then \
		msgattrib --untranslated locale/fr/LC_MESSAGES/django.po; \
		msgattrib --only-fuzzy locale/fr/LC_MESSAGES/django.po; \
		echo "French translations missing ($$untranslated) or fuzzy ($$fuzzy): run make messages and translate."; \
		exit 1; \
	fi

demo: $(STAMP) locale/fr/LC_MESSAGES/django.mo
	DEBUG=1 $(BIN)/python manage.py migrate --verbosity 0
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST)

test: $(STAMP) locale/fr/LC_MESSAGES/django.mo
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks, described in docs/performance.md. At SCALE=1 they measure the
# databases that `make bench-data` fills (BENCH_DATABASE_URL, BENCH_W1_DATABASE_URL,
# PostgreSQL on 127.0.0.1 by default); at a smaller scale, such as the CI smoke
# run `make bench SCALE=0.001`, they create, fill and drop databases of their own.
SCALE ?= 1
BENCH_ARGS ?=

bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $(SCALE) $(BENCH_ARGS)

bench-data: $(STAMP)
	$(BIN)/python -m bench.run --generate

clean:
	rm -rf $(VENV) var/db.sqlite3 var/staticfiles
