#!/usr/bin/env bash
# One command from a fresh clone: install careops (scripts/install.sh), then run the embedded
# stack (`careops stack up`, options pass through). Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/careops stack up "$@"
