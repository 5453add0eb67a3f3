#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (system packages, a virtual
# environment with the test extras) and runs the test suite. Extra pytest arguments pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# raptor2-utils, serdi: independent RDF parsers; chromium: the browser test;
# virtuoso-opensource: the external-store tests; fonts-dejavu-core, fonts-wqy-microhei: the
# PDF versions of the test documents (Latin, Cyrillic and CJK text); nginx (with its njs
# module) and apache2: the static site tests.
$SUDO apt-get install -y -qq --no-install-recommends \
    raptor2-utils serdi chromium chromium-driver virtuoso-opensource \
    fonts-dejavu-core fonts-wqy-microhei nginx libnginx-mod-http-js apache2 >/dev/null
# nodejs, npm: jsonld.js (pinned), the JavaScript reader of the JSON-LD tests, in .test-node/.
command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
npm install --prefix .test-node --no-audit --no-fund --save-exact --silent jsonld@9.0.0
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
