#!/usr/bin/env bash
# Screenshots of each console page for the README (docs/console/*.png), taken by the browser
# journeys themselves with realistic data (sandbox carrier, simulators).
# Usage: scripts/console-screenshots.sh   (needs chromium, chromedriver and tests/console's axe-core)
set -euo pipefail
cd "$(dirname "$0")/.."
export SHIPHUB_SCREENSHOTS="$PWD/docs/console"
cargo build -p shiphub --bins
CI=true cargo test -p shiphub-e2e --test console --test console_shipments \
  --test console_operations --test console_finance -- --test-threads=1
ls -1 docs/console
