# Heatons Cluster policy assistant. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PYTEST_ARGS ?=

.PHONY: help setup train index run test test-fast bench bench-load lint validate teams-app clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## install both environments, train the Rasa model, build the index (skips what is current)
	@scripts/setup.sh

train: setup  ## (re)train the Rasa model if data/, domain.yml or config.yml changed

index: setup  ## rebuild the retrieval index from policy_corpus/
	@.venv/bin/policybot index

run: setup  ## start Rasa, the action server and the gateway; Ctrl-C stops all three
	@.venv/bin/policybot run

test: setup  ## run the whole test suite (starts the real servers on free loopback ports)
	@scripts/test-tools.sh
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

test-fast:  ## the unit tier in under a minute: no servers, no real model, no training
	@scripts/setup.sh --envs-only
	@.venv/bin/python -m pytest -q -m "not stack and not model" --ignore=tests/e2e $(PYTEST_ARGS)

bench: setup  ## print retrieval quality, safeguarding triage figures, latency, memory and start-up
	@.venv/bin/python -m bot.cli.bench

bench-load: setup  ## load at 1, 20 and 100 conversations at once beside rasa init's bot, then a memory soak (BENCH_SOAK_SECONDS)
	@.venv/bin/python -m bot.cli.bench_load

validate: setup  ## rasa data validate
	@.venv-rasa/bin/rasa data validate --fail-on-warnings --quiet

lint: setup  ## ruff over the Python code, then mypy over bot/ and actions/ (settings in pyproject.toml)
	@.venv/bin/ruff check bot actions tests
	@.venv/bin/mypy

teams-app: setup  ## zip the Teams app package into dist/teams-app.zip (needs TEAMS_APP_ID, TEAMS_APP_WEBSITE)
	@.venv/bin/policybot teams-app

clean:  ## remove environments, models, caches and logs
	rm -rf .venv .venv-rasa models .cache .run .rasa-train.log .pytest_cache dist
