# Health Score Calibrator: `make run` opens the app on the demo data, `make test` runs every check.
# Both create .venv and install everything on first use (re-installs when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: install run test lint format bench mutate system-deps demo-data schema screenshots clean

# --no-compile: no .pyc for every installed file up front (Python writes them for the modules
# it imports); with the venv's own pip (no upgrade) this took 30% less CPU on a fresh venv.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@echo "Health Score Calibrator on http://127.0.0.1:$(PORT) (demo data loaded; Ctrl+C stops)"
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false --server.address 127.0.0.1

system-deps:
	@bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) system-deps lint
	@$(BIN)/python -m pytest -n 2 --dist loadgroup; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests: treating as failure"; fi; \
	exit $$rc

bench: $(STAMP)
	$(BIN)/python -m calibration bench

# Browser benchmark: 100k demo accounts, the real app vs a bare one-slider app, JSON out.
bench-ui: $(STAMP) system-deps
	$(BIN)/python scripts/bench_ui.py --out .bench/bench-ui.json

# Mutation testing of the core modules (developer tool, not part of `make test`); e.g.
# `make mutate MUTATE_ARGS="metrics --per-module 60"`. See scripts/mutation/.
mutate: $(STAMP)
	$(BIN)/python scripts/mutate.py $(MUTATE_ARGS)

demo-data: $(STAMP)
	$(BIN)/python data/generate_demo.py

schema: $(STAMP)
	$(BIN)/python -m calibration schema

screenshots: $(STAMP) system-deps
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
