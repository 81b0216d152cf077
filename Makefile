# The README's commands. A fresh machine needs only python3 (>= 3.11) with venv and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test examples bench clean i18n lock

# Installs pin every package to constraints.txt, so a fresh machine next year builds the same report.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

## make demo: install, write the seeded demo engagement, build out/demo/report.pdf + report.html
demo: $(STAMP)
	$(BIN)/cjmgen demo examples/demo
	$(BIN)/cjmgen build examples/demo/project.yaml --out out/demo
	@echo "open out/demo/report.pdf or out/demo/report.html"

## make test: install with test extras, check the layer contracts, run the whole suite
test: $(STAMP)
	$(BIN)/ruff check cjmgen tests scripts bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

## make examples: build every project under examples/ into out/examples/<name>
examples: $(STAMP)
	@set -e; for spec in examples/*/project.yaml examples/*/project.toml; do \
	  [ -f "$$spec" ] || continue; name=$$(basename $$(dirname $$spec)); \
	  echo "building $$spec"; $(BIN)/cjmgen build "$$spec" --out out/examples/$$name --quiet; \
	done

## make bench: build on 1M and 10M demo lines and record per-stage seconds and peak memory
bench: $(STAMP)
	$(BIN)/python bench/bench_build.py --rows 1000000 10000000

## make lock: resolve the newest versions pyproject allows in a scratch venv and pin them in constraints.txt
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ".[test]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^cjmgen' > constraints.txt
	rm -rf .lock-venv

## make i18n: extract the report's words into locale/cjmgen.pot and update every catalog (then translate the new msgids)
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location --sort-output --omit-header -o locale/cjmgen.pot .
	$(BIN)/pybabel update -i locale/cjmgen.pot -d locale -D cjmgen --no-fuzzy-matching --ignore-obsolete --width 120
	$(BIN)/python scripts/catalog.py missing ru

clean:
	rm -rf out .pytest_cache .hypothesis
