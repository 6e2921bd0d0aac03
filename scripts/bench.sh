#!/usr/bin/env bash
# make bench: speed figures and ratios, all measured in this one run.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node_modules/.bin/tsx bench/run.ts
