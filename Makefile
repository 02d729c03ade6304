# target-listrak-sms: every task a developer or CI runs.
SHELL := /bin/bash
NPM ?= npm
NODE ?= node

# Inputs for `make sync`: your config and audience, or the embedded sandbox with the sample audience.
CONFIG ?= config.json
AUDIENCE ?= samples/audience.jsonl
SEED ?= samples/sandbox-seed.json

.PHONY: install build test lint mutate sync export sandbox bench bench-ci clean meltano

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

build: install
	$(NPM) run build --silent

test: build
	$(NPM) test

lint: build
	$(NPM) run lint --silent

# Mutation testing of the modules that decide what happens to a contact (stryker.config.json; README
# "Mutation testing"): about 25 minutes on two cores. Prints a table per module, writes
# reports/mutation/mutation.json, and fails when a module misses its target. Not part of CI.
mutate: build
	$(NPM) exec -- stryker run
	$(NODE) dist/tools/mutation-targets.js

# Runs the main job: against Listrak when config.json exists, else against the embedded sandbox.
sync: build
	@if [ -f "$(CONFIG)" ]; then \
	  $(NODE) dist/src/cli/target.js --config "$(CONFIG)" < "$(AUDIENCE)"; \
	else \
	  echo "no $(CONFIG): syncing the sample audience into the embedded Listrak sandbox" >&2; \
	  $(NODE) dist/src/cli/target.js --sandbox "$(SEED)" < "$(AUDIENCE)"; \
	fi

# A sample export: the four Listrak import files from samples/export.jsonl, written to export-out/ (no upload).
export: build
	$(NODE) dist/src/cli/export.js --config samples/export-config.json --local-only < samples/export.jsonl

# The benchmark: 1M-member scenarios and the 100k/1M/5M scale runs (several minutes); figures in .bench/results.json.
bench: build
	$(NODE) dist/bench/run.js

# A small benchmark run for CI, so the bench cannot rot: fails only if a call-count invariant breaks.
bench-ci: build
	$(NODE) dist/bench/run.js --ci

sandbox: build
	$(NODE) dist/src/cli/sandbox.js --seed "$(SEED)" --port 8765

clean:
	rm -rf dist export-out reports .stryker-tmp

# The Meltano plugin definitions in meltano/, generated from the config schemas (a spec checks they are current).
meltano: build
	$(NODE) dist/scripts/meltano-definitions.js
