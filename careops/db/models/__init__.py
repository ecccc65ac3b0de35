"""The careops state: typed SQLAlchemy 2 models, one module per process.

Every record a flow creates has a natural unique key, so re-runs, retries and concurrent runs
create it once (inserts use ON CONFLICT DO NOTHING on that key).

Importing any of them imports this package, which registers every table on `Base.metadata`
(relationships name other modules' classes; Alembic autogenerate compares all of them).
"""

from careops.db.models import (  # noqa: F401  (registers the tables)
    callbacks,
    cases,
    common,
    faults,
    outbox,
    staff_actions,
    survey,
    watch,
    weekly,
)
