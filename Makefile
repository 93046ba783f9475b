# ckanext-budget developer commands. Each target calls a script in scripts/ that builds
# what it needs (virtualenvs, PostgreSQL and Redis, databases) and is safe to run again.

CKAN_VERSIONS ?= 2.11.6 2.12.0
SHELL := /bin/bash

.PHONY: help test lint demo demo-stop i18n requirements clean

help:
	@echo "make test [CKAN_VERSIONS='2.11.6 2.12.0']  ruff + the whole suite per CKAN version"
	@echo "make lint                                 ruff check + ruff format --check"
	@echo "make demo                                 demo portal on http://127.0.0.1:5000"
	@echo "make demo-stop                            stop the demo's web server and worker"
	@echo "make i18n                                 extract and update the translations"
	@echo "make requirements                         regenerate requirements/ckan-*.txt"
	@echo "make clean                                remove venvs and var/ (not the databases)"

test:
	scripts/test.sh $(CKAN_VERSIONS)

lint:
	scripts/lint.sh $(firstword $(CKAN_VERSIONS))

demo:
	scripts/demo.sh

demo-stop:
	scripts/demo_stop.sh

i18n:
	scripts/i18n.sh $(firstword $(CKAN_VERSIONS))

requirements:
	scripts/freeze_requirements.sh $(CKAN_VERSIONS)

clean: demo-stop
	rm -rf .venv-* var/
