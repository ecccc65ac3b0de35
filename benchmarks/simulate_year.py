"""A year of every scheduled process (`careops simulate`), timed beside a plain-loop anchor.

    .venv/bin/python benchmarks/simulate_year.py [--year 2026] [--customers 200] [--seed 1]
                                                  [--database-url URL]

The same run as `careops simulate --year 2026` (demo-sized world by default; URL: an empty
scratch database, e.g. a fresh PostgreSQL database), printing every figure of it, then the
wall time, the time a step and the anchor measured in the same run: as many plain one-query
transactions on the same database as the simulation had steps. Target: <= 5 minutes for the
demo size on this 2-core machine. Exit 1 when an invariant is violated.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from careops.simulation.report import lines  # noqa: E402
from careops.simulation.runner import check_span, simulate  # noqa: E402

TARGET_SECONDS = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    check_span(date(args.year, 1, 1), date(args.year, 12, 31))
    outcome = simulate(
        date(args.year, 1, 1),
        date(args.year + 1, 1, 1),
        customers=args.customers,
        seed=args.seed,
        database_url=args.database_url,
    )
    print("\n".join(lines(outcome)))
    verdict = "within" if outcome.seconds <= TARGET_SECONDS else "OVER"
    print(
        f"\n{args.customers} customers, {args.year}: {outcome.seconds:.1f} s, {verdict} the "
        f"{TARGET_SECONDS} s target"
    )
    return 1 if outcome.violations else 0


if __name__ == "__main__":
    sys.exit(main())
