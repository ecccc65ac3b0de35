#!/usr/bin/env bash
# One command from a fresh clone: install careops (scripts/install.sh), then run the whole test
# suite. Set CAREOPS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run every
# database test on PostgreSQL as well (each run creates and drops its own database there).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
