# Driftline — `make demo` and `make test` do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT      ?= swift
DRIFTLINE  := .build/debug/driftline
RELEASE    := .build/release/driftline
# chromium: the run report's browser test (skipped without it)
APT_PACKAGES := libpq-dev libcsv-dev libzstd-dev libyaml-dev zstd postgresql postgresql-contrib zlib1g-dev chromium
DEMO_DIR   := demo

.PHONY: help deps build release demo test bench bench-quick lint format db-start db-stop clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

deps: ## Install the Debian packages that are missing (as root, via apt-get)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps ## Debug build
	$(SWIFT) build

release: deps ## Release build (the Swift runtime and Foundation linked in: 5 MiB less resident than the shared libraries)
	$(SWIFT) build -c release --static-swift-stdlib

db-start: build ## Start the embedded PostgreSQL (unless DATABASE_URL is set) and migrate
	@if [ -z "$$DATABASE_URL" ]; then $(DRIFTLINE) db start >/dev/null; fi
	$(DRIFTLINE) db migrate

db-stop: ## Stop the embedded PostgreSQL
	-$(DRIFTLINE) db stop

demo: db-start ## Run the nightly pipeline on samples/ (fresh demo database each time) and print the run
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)/inbox
	cp -r samples/*/ $(DEMO_DIR)/inbox/
	@# Eighteen months of history with planted drift (drift-truth.csv), so the drift stage has something to find.
	$(DRIFTLINE) samples generate --out $(DEMO_DIR)/history --rows 120000 --customers 3 --seed 21 --drift --as-of 2026-11-22
	cp -r $(DEMO_DIR)/history/*/ $(DEMO_DIR)/inbox/
	touch -d '2 minutes ago' $(DEMO_DIR)/inbox/*/*
	cp -r pipelines rules $(DEMO_DIR)/
	@if [ -z "$$DATABASE_URL" ]; then \
	  base=$$($(DRIFTLINE) db url); \
	  psql -q "$$base" -c 'DROP DATABASE IF EXISTS driftline_demo WITH (FORCE)' -c 'CREATE DATABASE driftline_demo'; \
	  DATABASE_URL="$$base&dbname=driftline_demo"; \
	fi; export DATABASE_URL; cd $(DEMO_DIR); \
	  ../$(DRIFTLINE) run --pipeline pipelines/nightly.yaml --as-of 2026-11-21; status=$$?; \
	  echo; echo "exit status $$status (0 = all loaded, 65 = a file was rejected, 76 = an alert was dead-lettered)"; echo; \
	  ../$(DRIFTLINE) runs --limit 1; echo; ../$(DRIFTLINE) drift list --limit 10; echo; \
	  echo "planted (history/drift-truth.csv):"; cat history/drift-truth.csv; echo; \
	  find archive rejected metrics -type f | sort; \
	  if [ -d alerts ]; then echo; echo "alerts (file channel):"; cat alerts/*.jsonl; fi; echo; \
	  report=$$(ls -t metrics/run-*.html | head -1); echo "run report: $$PWD/$$report"

test: db-start ## Run the test suite against a real PostgreSQL
	DATABASE_URL="$${DATABASE_URL:-$$($(DRIFTLINE) db url)}" DRIFTLINE_BIN="$(CURDIR)/$(DRIFTLINE)" $(SWIFT) test

bench: deps db-start release ## Benchmark (release): driftline vs psql \copy, RSS, validation throughput
	DATABASE_URL="$${DATABASE_URL:-$$($(DRIFTLINE) db url)}" bash scripts/bench.sh

bench-quick: deps db-start release ## Quick benchmark before a commit (~2 min): first load and update-heavy nights at 200k rows
	DATABASE_URL="$${DATABASE_URL:-$$($(DRIFTLINE) db url)}" BENCH_ROWS=200000 BENCH_UPDATE_ROWS=200000 \
	  BENCH_MAPPED_ROWS= BENCH_DRIFT_ROWS= BENCH_DRIFT_HISTORY_ROWS= BENCH_VALIDATE_ROWS=200000 BENCH_VALIDATE_RUNS=3 bash scripts/bench.sh

lint: ## swift format lint --strict; log-safe vouchers on the reviewed list; migrations pass squawk
	$(SWIFT) format lint --strict -r Sources Tests
	bash scripts/lint-vouchers.sh
	bash scripts/lint-migrations.sh

format: ## Reformat Sources and Tests in place
	$(SWIFT) format -i -r Sources Tests

clean: ## Remove build output and the demo folder
	rm -rf .build $(DEMO_DIR)
