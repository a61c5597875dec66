#!/usr/bin/env bash
# Compile bench/requirements-langgraph.txt (every package of the LangGraph bench virtualenv,
# pinned, for Python 3.11) from bench/requirements-langgraph.in.
#
#   bench/lock.sh             keep the pinned versions that still satisfy the .in file
#                             (an unchanged .in file leaves the .txt byte-identical)
#   bench/lock.sh --upgrade   take the newest versions the .in file allows
#
# Uses the uv of `make` (.venv-tools/bin/uv); set UV to use another.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-.venv-tools/bin/uv}"
exec "$UV" pip compile --quiet --python-version 3.11 --custom-compile-command "bench/lock.sh" \
    bench/requirements-langgraph.in -o bench/requirements-langgraph.txt "$@"
