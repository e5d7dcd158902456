# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The one entry point. Every target sets up what it needs itself, so on a fresh machine one command is enough.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := $(CURDIR)/.collections/ansible_collections/pytrackdat/deploy
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export ANSIBLE_HOME := $(CURDIR)/.ansible
export MOLECULE_GLOB := molecule/*/molecule.yml
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0

S ?=
PYTEST_ARGS ?=

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

.PHONY: venv
venv: $(STAMP) $(COLLECTION_LINK) ## create or update .venv and make the collection importable from the checkout

.PHONY: images
images: ## build the systemd test-host images (Debian 13 and 12) with debootstrap (says first what is missing)
	bash molecule/resources/build-images.sh 13 12

.PHONY: fixtures
fixtures: venv ## generate the test bundles with PyTrackDat's real generator and their wheelhouse (cached; needs PyPI)
	python tests/fixtures/pytrackdat/make_real_bundles.py --out build/fixtures > /dev/null

.PHONY: standins
standins: fixtures images ## build the local stand-ins for Docker Hub's images (debian:12-slim, python/nginx for PyTrackDat's Dockerfile)
	bash tests/fixtures/pytrackdat/standin/build.sh build/fixtures/wheels > /dev/null

.PHONY: lint
lint: venv ## ansible-lint (production profile), yamllint and shellcheck
	yamllint -s .
	ansible-lint --profile production
	bash scripts/shellcheck.sh

.PHONY: sanity
sanity: venv ## ansible-test sanity on a clean copy of the tracked files
	bash tests/sanity/run.sh

.PHONY: unit
unit: venv ## pytest, no Docker engine, images or generated fixtures needed: plugins, emulator, roles' tools
	pytest -q -n 3 --dist loadgroup tests/unit $(PYTEST_ARGS)  # 3 workers on 2 cores: the tier waits on emulated backoff more than it computes

.PHONY: integration
integration: venv fixtures images ## pytest: playbooks through the Ansible CLI, Docker test hosts, Django sites from generated bundles
	pytest -q -n 2 --dist loadgroup tests/integration $(PYTEST_ARGS)

.PHONY: molecule
molecule: venv standins ## Molecule scenarios (all, or one: make molecule S=server_setup)
	bash molecule/resources/run-scenarios.sh $(S)

.PHONY: build
build: venv ## build the Galaxy tarball into build/ from the files git knows about
	bash scripts/clean-copy.sh build/collection
	cd build/collection && ansible-galaxy collection build --force --output-path $(CURDIR)/build

.PHONY: bench
bench: venv ## benchmarks: plugins vs community.digitalocean (and the e2e report) -> benchmarks/results/
	python benchmarks/run.py

.PHONY: demo
demo: ## a real PyTrackDat site from a design CSV (DESIGN=path, default the sample) on a local DigitalOcean emulator
	@bash molecule/resources/build-images.sh --check 13 12
	@$(MAKE) --no-print-directory venv standins
	python -m tests.e2e.demo up $(if $(DESIGN),--design "$(DESIGN)")

.PHONY: demo-destroy
demo-destroy: venv ## destroy.yml on the demo droplet, then stop the emulator (nothing is left)
	python -m tests.e2e.demo down

.PHONY: e2e
e2e: venv standins ## site.yml end to end from a design CSV: emulator, Pebble, Chromium, rerun, redeploys, design change, destroy, existing server
	pytest -p no:cacheprovider -v tests/e2e $(PYTEST_ARGS)

.PHONY: matrix
matrix: venv images ## ansible-core matrix: oldest core here, newest in a Debian 13 container with an AWX-style ansible-runner job; the EE's build context
	bash tests/matrix/run.sh

.PHONY: changelog
changelog: venv ## lint the changelog fragments
	antsibull-changelog lint

.PHONY: test
test: lint changelog sanity unit standins ## every test there is: the quick suites, then integration, matrix and e2e beside molecule
	bash scripts/test-lanes.sh
	@echo "make test: all suites passed"

.PHONY: clean
clean: ## remove the virtualenv and build output (test images are kept)
	rm -rf $(VENV) .collections .ansible build tests/output
