"""`careops weekly ...` and `careops preview meetings`: the R4 weekly report from the command line.

Each command calls the services directly and delivers the outbox at once.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.markup import escape

from careops.bootstrap import get_calendar
from careops.cli.common import console, deliver_now, reported_errors
from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.rules.weekly import IsoWeek, meetings_between
from careops.services.weekly import steps
from careops.services.weekly import submissions as service
from careops.services.weekly.meetings import WeeklyEnv
from careops.tabular import read_table

app = typer.Typer(help="Weekly report collection (R4): submit, away, show, run a step.",
                  no_args_is_help=True)

Staff = Annotated[str, typer.Option("--staff", help="Staff code, e.g. TS001")]
WeekOpt = Annotated[str | None, typer.Option(help="ISO week like 2026-W48 (default: this week)")]


def _read(path: Path | None, what: str) -> str:
    """A text file (UTF-8; `-` reads standard input); a clear error when it cannot be read."""
    if path is None:
        return ""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CareopsError(f"{what} file {path} does not exist") from None
    except UnicodeDecodeError:
        raise CareopsError(f"{what} file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise CareopsError(f"{what} file {path} cannot be read: {exc.strerror}") from None


def preview_meetings(
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"])],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"])],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array of ISO dates")
    ] = False,
) -> None:
    """The R4 meeting dates from --from to --to (Friday, else the last working day before it)."""
    with reported_errors():
        days = meetings_between(start.date(), end.date(), get_calendar().is_working_day)
    if as_json:
        typer.echo(json.dumps([d.isoformat() for d in days]))
        return
    for d in days:
        moved = "" if d.weekday() == 4 else "  (moved: Friday is not a working day)"
        console.print(f"{IsoWeek.of(d)}  {d.isoformat()} {d:%a}{moved}", highlight=False)


@app.command("submit")
def submit(
    staff: Staff,
    situation_file: Annotated[Path, typer.Option(help="This week's service situation (text)")],
    feedback_file: Annotated[Path, typer.Option(help="Customer feedback (text)")],
    problems_file: Annotated[Path | None, typer.Option(help="Problems needing help")] = None,
    week: WeekOpt = None,
) -> None:
    """Hand in the week's report; again before the compile replaces it, after it is late."""
    with reported_errors():
        data = service.SubmissionInput(
            staff, _read(situation_file, "situation"), _read(feedback_file, "feedback"),
            _read(problems_file, "problems"), week, channel="cli")
        result = service.submit(UnitOfWork(), WeeklyEnv.from_settings(), data, utcnow())
        deliver_now()
    if not result.changed:
        console.print(f"{result.week}: the same text as revision {result.revision}; unchanged")
        return
    late = " LATE (after the compile): sent as an addendum" if result.late else ""
    console.print(f"{result.week} (meeting {result.meeting_date}): {result.staff_code} "
                  f"submitted, revision {result.revision}{late}", highlight=False)


@app.command("away")
def away(
    staff: Annotated[str | None, typer.Option("--staff", help="Staff code")] = None,
    week: Annotated[str | None, typer.Option(help="ISO week like 2026-W48")] = None,
    reason: Annotated[str, typer.Option(help="Leave, business trip ...")] = "",
    undo: Annotated[bool, typer.Option(help="Remove the mark")] = False,
    file: Annotated[Path | None, typer.Option(
        "--file", help="Or a .csv/.xlsx with columns staff_code, week, reason")] = None,
) -> None:
    """Mark someone away for a week: not reminded, nudged nor counted missing."""
    env = WeeklyEnv.from_settings()
    with reported_errors():
        if file is not None:
            _away_file(env, file, undo)
            return
        if not staff or not week:
            raise CareopsError("give --staff and --week, or --file")
        result = service.mark_away(UnitOfWork(), env, staff, week, utcnow(), reason=reason,
                                   undo=undo)
    verb = "no longer away" if undo else "away"
    state = "" if result.changed else " (already so)"
    console.print(f"{result.staff_code} {verb} in {result.week}{state}", highlight=False)


def _away_file(env: WeeklyEnv, file: Path, undo: bool) -> None:
    errors = 0
    marked = 0
    for number, row in read_table(file, required=("staff_code", "week")):
        cells = {str(k).strip().lower(): v for k, v in row.items()}
        try:
            result = service.mark_away(
                UnitOfWork(), env, str(cells.get("staff_code") or ""), str(cells.get("week") or ""),
                utcnow(), reason=str(cells.get("reason") or ""), undo=undo)
            marked += result.changed
        except CareopsError as exc:
            errors += 1
            console.print(f"row {number}: {escape(str(exc))}", highlight=False)
    console.print(f"{file.name}: {marked} marked, {errors} rejected", highlight=False)
    if errors:
        raise typer.Exit(1)


@app.command("show")
def show(
    week: WeekOpt = None,
    raw: Annotated[bool, typer.Option(help="Print the markdown source")] = False,
) -> None:
    """Print the week's report as compiled (plus late submissions), or a preview before it."""
    with reported_errors():
        env = WeeklyEnv.from_settings()
        markdown = steps.show_report(UnitOfWork(), env, service.week_of(week, env, utcnow()))
    if raw:
        typer.echo(markdown)
    else:
        console.print(Markdown(markdown))


def _step(name: str, week: str | None) -> None:
    run = {"remind": steps.send_reminders, "nudge": steps.send_nudges,
           "compile": steps.compile_report}[name]
    with reported_errors():
        env = WeeklyEnv.from_settings()
        result = run(UnitOfWork(), env, service.week_of(week, env, utcnow()), utcnow())
        deliver_now()
    if result.skipped:
        note = result.skipped
    elif result.already and not result.queued:
        note = "already done by an earlier run"
    else:
        note = f"mailed {', '.join(result.queued) or 'nobody'}"
    console.print(f"{result.week} (meeting {result.meeting_date}) {name}: {note}",
                  highlight=False)


@app.command("remind")
def remind(week: WeekOpt = None) -> None:
    """Send the week's reminders now (like the weekly-reminder deployment with a week)."""
    _step("remind", week)


@app.command("nudge")
def nudge(week: WeekOpt = None) -> None:
    """Nudge those still missing now (like weekly-nudge)."""
    _step("nudge", week)


@app.command("compile")
def compile_(week: WeekOpt = None) -> None:
    """Compile and mail the week's report now (like weekly-compile); once per meeting."""
    _step("compile", week)
