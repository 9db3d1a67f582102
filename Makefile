# Quick start (README): `make synth`, then `make test`. Both set everything up
# first and are safe to run again; setup only reinstalls when a pin file changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

# Terraform's and cdktf's update checks would only wait for the network here.
export CHECKPOINT_DISABLE := 1
# jsii warns on every start that Node 20 is past its end of life.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: setup synth plan rehearse lock deploy-roles test check schema atlantis diagram bench bench-suite clean

setup: $(VENV)/.installed node_modules/.installed

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or later is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@node -e 'const m = +process.versions.node.split(".")[0]; if (m < 20) { console.error("Node.js 20 or later is needed, found " + process.version); process.exit(1) }'
	npm ci --no-audit --no-fund
	@touch $@

## Synthesize every workspace of environments/ into cdktf.out/ (through cdktf.json), unless
## cdktf.out/inputs.sha256 says it already holds a synthesis of the current inputs (main.py --up-to-date).
## The digest is taken before and recorded only after a successful synth, so a failed or
## interrupted one is never reused.
synth: setup
	@$(PY) main.py --up-to-date || { \
	  digest=$$($(PY) main.py --inputs-digest) && rm -f cdktf.out/inputs.sha256 && \
	  npx --no-install cdktf synth && echo "$$digest" > cdktf.out/inputs.sha256; }

## Offline plan of every workspace into cdktf.out/plans/<workspace>/{plan.bin,plan.json,summary.txt}:
## no AWS credentials needed or used (fake keys, local state, fixture outputs; scripts/offline_plan.py).
plan: synth
	$(PY) -m scripts.offline_plan

## Rehearse a deployment on moto's AWS emulator (127.0.0.1): apply every workspace in deploy
## order, plan again (must show no changes), destroy; a table per workspace at the end
## (scripts/rehearse.py; docs/deploy.md, Rehearsal on an emulator). No AWS credentials used.
rehearse: synth
	$(PY) -m scripts.rehearse

## Refresh providers.lock.hcl (copied into every workspace at synth) for more platforms, e.g.
## make lock PLATFORMS="linux_amd64 linux_arm64 darwin_arm64 darwin_amd64 windows_amd64"
## (from the registry; a mirror can only hash the platforms it holds). Commit the result.
PLATFORMS ?= linux_amd64
lock: setup
	$(PY) -m scripts.provider_lock $(PLATFORMS)

## CloudFormation templates of the deploy roles into cdktf.out/deploy-roles/ (docs/deploy-roles.md).
deploy-roles: synth
	$(PY) -m scripts.deploy_roles

## The whole test suite: config, constructs, workspaces, terraform validate/plan, checkov, ruff, mypy.
test: setup
	$(PY) -m pytest

## Validate environments/ only (fast; no AWS bindings loaded).
check: setup
	$(PY) main.py --check

## Regenerate environments/schema.json and migration/schema.json after changing config/.
schema: setup
	$(PY) main.py --write-schema
	$(PY) -m migrate schema

## Regenerate atlantis.yaml from the workspaces and their dependencies (synthesizes first).
atlantis: setup
	$(PY) main.py --write-atlantis

## Prove the network flows from the synthesis and write their matrix into docs/network.md, the
## architecture into docs/architecture.dot and, with graphviz's dot, docs/architecture.svg.
diagram: synth
	$(PY) -m flows

## Synthesis timings (import, example, 20 target accounts), each in a fresh process.
bench: setup
	$(PY) benchmarks/synth.py

## The suite's wall time next to the sum of its parts and its critical path, in one run.
bench-suite: setup
	$(PY) benchmarks/suite.py

clean:
	rm -rf cdktf.out .pytest_cache .mypy_cache .ruff_cache
