#!/usr/bin/env bash
# Installs pledge-graph in a virtual environment, builds the bundled pledges and serves
# them on http://127.0.0.1:8000/ (arguments pass through to `pledge-graph serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e .
exec .venv/bin/pledge-graph serve "$@"
