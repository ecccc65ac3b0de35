"""Reading the Prefect server log for errors of its services (the stack's start-up check)."""

from careops.stack.scheduler_check import LogWatch, scheduler_errors, service_errors

# What prefect 3.8.8's server logged every minute with SQLAlchemy 2.1 (shortened).
SCHEDULER_FAILURE = """\
12:01:00.101 | INFO    | prefect.server.services.scheduler - Scheduled 0 runs.
12:02:00.214 | ERROR   | prefect.server.services.scheduler - Unexpected error in: scheduler
Traceback (most recent call last):
  File ".../prefect/server/services/scheduler.py", line 312, in _insert_scheduled_flow_runs
    await session.execute(insert_stmt)
sqlalchemy.exc.InvalidRequestError: Can't evaluate bulk DML statement; please supply a bulk_dml
12:02:01.000 | INFO    | uvicorn.access - 127.0.0.1 "GET /api/health HTTP/1.1" 200
"""


def test_a_scheduler_traceback_is_found_with_its_cause() -> None:
    errors = service_errors(SCHEDULER_FAILURE)
    assert len(errors) == 1
    assert "Unexpected error in: scheduler" in errors[0]
    assert "Can't evaluate bulk DML statement" in errors[0]
    assert "GET /api/health" not in errors[0]


def test_a_clean_log_has_no_errors() -> None:
    clean = "12:01:00.101 | INFO    | prefect.server.services.scheduler - Scheduled 3 runs.\n"
    assert service_errors(clean) == []


def test_the_log_watch_reads_only_what_the_log_gained(tmp_path) -> None:
    log = tmp_path / "server.log"
    log.write_text(SCHEDULER_FAILURE, encoding="utf-8")
    watch = LogWatch.from_end(log)  # an earlier stack's errors are not this one's
    assert watch.new_text() == ""
    with log.open("a", encoding="utf-8") as handle:
        handle.write("12:03:00.000 | INFO    | prefect.server - fine\n")
    assert watch.new_text() == "12:03:00.000 | INFO    | prefect.server - fine\n"
    assert watch.new_text() == ""


HEARTBEAT_RACE = """\
12:05:00.000 | ERROR   | prefect.server.utilities.worker_channel - Worker channel heartbeat \
persistence failed: work_pool=careops worker_name=ProcessWorker 1
Traceback (most recent call last):
  File ".../sqlalchemy/engine/default.py", line 951, in do_execute
sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked
"""


def test_only_scheduler_errors_stop_the_start() -> None:
    errors = service_errors(SCHEDULER_FAILURE + HEARTBEAT_RACE)
    assert len(errors) == 2
    assert scheduler_errors(errors) == errors[:1]


# With the crash-recovery automations, the trigger service updates its buckets for every flow
# run event; on SQLite two writers at once lose the race and Prefect retries the message.
CONSUMER_BUSY = """\
12:06:00.000 | ERROR   | prefect.server.utilities.messaging.memory - Failed in consume_loop
Traceback (most recent call last):
  File ".../prefect/server/utilities/messaging/memory.py", line 375, in _consume_loop
  File ".../prefect/server/events/triggers.py", line 992, in increment_bucket
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../sqlalchemy/engine/base.py", line 2000, in _exec_single_context
  File ".../aiosqlite/core.py", line 63, in _connection_worker_thread
sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked
12:06:00.100 | INFO    | uvicorn.access - 127.0.0.1 "GET /api/health HTTP/1.1" 200
"""


def test_a_retried_consumer_race_is_not_an_error_but_other_errors_around_it_are() -> None:
    errors = service_errors(HEARTBEAT_RACE + CONSUMER_BUSY + SCHEDULER_FAILURE)
    assert len(errors) == 2
    assert "Worker channel heartbeat" in errors[0] and "Unexpected error" in errors[1]
    # a consumer failing for another reason is still shown
    other = CONSUMER_BUSY.replace("database is locked", "no such table: automation_bucket")
    assert len(service_errors(other)) == 1
    reloaded = CONSUMER_BUSY.replace(
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked",
        "AssertionError: Trigger._automation has been garbage collected",
    )
    assert service_errors(reloaded) == []  # an automation reloaded mid-evaluation: retried
