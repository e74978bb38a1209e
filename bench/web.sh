#!/usr/bin/env bash
# The web map's performance in headless chromium (docs/PERFORMANCE.md, "Web
# map"): time from navigation to co-op markers visible with the demo data
# and with a generated 12,000-point source, to the first vector tiles drawn
# of a generated 200,000-point overlay, and the gzipped JS + CSS. Setting up
# imports the 200,000 points (minutes on a busy machine).
#   bench/web.sh            RUNS=7 by default
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test >/dev/null
make --no-print-directory build >/dev/null
cd web/frontend && COOPMAP_BIN=bin/coopmap node bench/markers.mjs
