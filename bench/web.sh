#!/usr/bin/env bash
# The web map's performance in headless chromium (docs/PERFORMANCE.md, "Web
# map"): time from navigation to co-op markers visible with the demo data
# and with a generated 12,000-point source, and the gzipped JS + CSS.
#   bench/web.sh            RUNS=7 by default
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test >/dev/null
make --no-print-directory build >/dev/null
cd web/frontend && COOPMAP_BIN=bin/coopmap node bench/markers.mjs
