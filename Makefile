# darksub: two commands do everything.  `make pipeline` runs the numbered notebooks,
# `make test` runs the test suite.  Both create .venv first when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= quick
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.installed

.PHONY: install pipeline test lab clean export clean-nbs

install: $(STAMP)

# Re-install only when the dependency declarations change (idempotent).
$(STAMP): settings.ini setup.py constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel -c constraints.txt
	$(PIP) install -q -c constraints.txt torch==2.13.0
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name darksub --display-name "Python (darksub)" >/dev/null
	@if $(BIN)/python -m pip list 2>/dev/null | grep -iE '^(nvidia|cuda|triton)'; then \
	  echo "error: CUDA packages were installed into $(VENV); check constraints.txt" >&2; exit 1; fi
	@touch $(STAMP)

pipeline: install
	$(BIN)/darksub pipeline --profile $(PROFILE)

test: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash .ci/test_suite

lab: install
	$(BIN)/jupyter lab --MultiKernelManager.default_kernel_name=darksub

export: install
	$(BIN)/nbdev_export

clean-nbs: install
	$(BIN)/nbdev_clean

clean:
	rm -rf $(VENV) runs data build *.egg-info
