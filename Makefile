# The two set-up commands (README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Run the demo: daphne on 127.0.0.1:8000 with sample data, SQLite, in-memory channel layer.
demo: $(STAMP)
	$(BIN)/python manage.py demo

## Run the whole test suite (PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set), one
## pytest-xdist worker per core (`make test PYTEST_XDIST=` runs it in one process).
PYTEST_XDIST ?= -n auto
test: $(STAMP)
	$(BIN)/python manage.py compilemessages_if_needed
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

## Extract translatable strings for zh_Hans (msgids are Chinese) and English into locale/,
## then compile them. Translate the English entries in locale/en/LC_MESSAGES/django.po.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --no-wrap --add-location=file \
		--ignore='.venv/*' --ignore='var/*' --ignore='build/*' --ignore='tests/*' --ignore='bench/*'
	$(BIN)/python manage.py compilemessages_if_needed

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) var
