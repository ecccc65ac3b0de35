#!/usr/bin/env bash
# One command from a fresh clone: install careops (scripts/install.sh), then run the whole test
# suite. Set CAREOPS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run every
# database test on PostgreSQL as well (each run creates and drops its own database there).
#
# Without arguments: ruff, the whole suite on the real clock, then the moved-clock runs: unit, integration and in-process end-to-end tests again (SQLite) with the process clock
# moved (time-machine, tests/support/moved_clock.py) to the last half hour of a year and to a
# day of a year whose calendar is not published. A test that reads the real date for a
# business fact fails there. Tests marked `real_clock` (TLS: OpenSSL checks certificates
# against the real clock; real stacks: their processes run on the real clock) are left out of
# the moved-clock runs only. The runs go one after the other: side by side they overloaded
# two cores (six Prefect servers at once).
#
# With arguments: ruff, then one pytest run with those arguments (e.g. `tests/unit -x`).
# CAREOPS_TEST_WORKERS: pytest-xdist workers of the main run (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check .

workers="${CAREOPS_TEST_WORKERS:-4}"
# a module's tests (and its stack) on one worker; the modules in collection order, the real
# stacks first (tests/conftest.py), not xdist's default reorder by number of tests
pytest=(.venv/bin/python -m pytest --dist loadfile --no-loadscope-reorder)
if [ $# -gt 0 ]; then
  exec "${pytest[@]}" -n "$workers" "$@"
fi

MOVED_CLOCKS=(2026-12-31T23:30+08:00 2027-07-01T00:05+08:00)
began=$SECONDS
status=0
"${pytest[@]}" -n "$workers" || status=$?
for instant in "${MOVED_CLOCKS[@]}"; do
  echo
  echo "== $((SECONDS - began)) s so far; moved clock $instant (unit, integration, in-process e2e; SQLite)"
  CAREOPS_TEST_CLOCK="$instant" CAREOPS_TEST_DATABASE_URL="" \
    "${pytest[@]}" -n "$workers" tests/unit tests/integration tests/e2e || status=$?
done
exit "$status"  # (pytest's summary stays the last line: CI reads it)
