"""`careops survey ...`: R2 invitations, reminders, staff entry, digest and the needs summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from careops.bootstrap import get_mailer
from careops.cli.common import console, deliver_now, reported_errors
from careops.cli.gifts import YearOption, year_or_current
from careops.clock import local_today, utcnow
from careops.db.models.survey import AnswerChannel
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.services.survey import reports
from careops.services.survey.answers import enter_answer, parse_answer
from careops.services.survey.invitations import invite, remind
from careops.services.survey.links import survey_links
from careops.services.survey.summary import answers_xlsx, needs_summary
from careops.settings import get_settings

app = typer.Typer(help="The December needs survey (R2).", no_args_is_help=True)


@app.command("invite")
def invite_cmd(year: YearOption = None) -> None:
    """Mail the greeting and survey invitation to every contact not yet invited."""
    settings = get_settings()
    with reported_errors():
        result = invite(UnitOfWork(), year_or_current(year), get_mailer(), survey_links(),
                        local_today(settings.tz), utcnow())
        sent = deliver_now()
    console.print(f"survey {result.year}: {result.queued} invitations queued, {sent} mails "
                  f"sent {result.skipped}", highlight=False)


@app.command("remind")
def remind_cmd(year: YearOption = None) -> None:
    """Mail the reminder that is due (at most two) to contacts who have not answered."""
    settings = get_settings()
    with reported_errors():
        result = remind(UnitOfWork(), year_or_current(year), get_mailer(), survey_links(),
                        local_today(settings.tz), settings.survey.reminder_days, utcnow())
        sent = deliver_now()
    console.print(f"survey {result.year} reminder {result.round}: {result.queued} queued, "
                  f"{sent} mails sent {result.skipped}", highlight=False)


@app.command("enter")
def enter(
    customer: Annotated[str, typer.Option(help="Customer code")],
    by: Annotated[str, typer.Option(help="Who took the answer")],
    channel: Annotated[AnswerChannel, typer.Option(help="phone or letter")] = AnswerChannel.PHONE,
    year: YearOption = None,
    need: Annotated[list[str] | None, typer.Option(
        help="A need (repeat): website app mini_program hosting security maintenance data "
             "marketing other")] = None,
    needs_other: Annotated[str, typer.Option(help="The 'other' need in words")] = "",
    budget: Annotated[str, typer.Option(help="lt50k 50k_200k 200k_500k gt500k undecided")] = "",
    timing: Annotated[str, typer.Option(help="q1 q2 q3 q4 undecided")] = "",
    contact: Annotated[str, typer.Option(help="phone email visit none")] = "",
    comments: Annotated[str, typer.Option()] = "",
) -> None:
    """Enter an answer taken by phone or letter (replaces the customer's earlier answer)."""
    with reported_errors():
        data = parse_answer({"needs": need or [], "needs_other": needs_other, "budget": budget,
                             "timing": timing, "contact_preference": contact,
                             "comments": comments})
        the_year = year_or_current(year)
        revision = enter_answer(UnitOfWork(), the_year, customer, data, channel, by, utcnow())
    console.print(f"survey {the_year}: answer of {customer} by {channel} saved "
                  f"(revision {revision})", highlight=False)


@app.command("status")
def status(year: YearOption = None) -> None:
    """The response rate (invited who answered / invited), by channel, invited without an
    answer."""
    with reported_errors():
        the_year = year_or_current(year)
        uow = UnitOfWork()
        with uow:
            s = needs_summary(uow.session, the_year)
    console.print(f"survey {the_year}: {s.answered_invited} of {s.invited} invited answered "
                  f"({s.rate_text()}); {s.answered} answers in all ({s.without_invitation} "
                  f"without invitation); {s.members} customers; by channel "
                  f"{s.by_channel or '-'}; {len(s.not_answered)} invited without an answer; "
                  f"{s.returned_gifts} gifts returned", highlight=False)


@app.command("digest")
def digest(year: YearOption = None) -> None:
    """Mail the CS head this week's digest now (once per week)."""
    settings = get_settings()
    with reported_errors():
        figures = reports.queue_digest(UnitOfWork(), year_or_current(year),
                                       local_today(settings.tz), get_mailer(), settings,
                                       utcnow())
        deliver_now()
    state = "queued" if figures["queued"] else "already sent this week"
    console.print(f"digest {figures['year']}: rate {figures['rate']}, {state}")


@app.command("summary")
def summary(
    year: YearOption = None,
    send: Annotated[bool, typer.Option(help="Mail it to management (once per year)")] = False,
    xlsx: Annotated[Path | None, typer.Option(help="Write every answer to this .xlsx")] = None,
) -> None:
    """The needs summary: rate, needs by category; --send mails it, --xlsx writes the answers."""
    settings = get_settings()
    with reported_errors():
        the_year = year_or_current(year)
        uow = UnitOfWork()
        with uow:
            s = needs_summary(uow.session, the_year)
        if xlsx is not None:
            try:
                xlsx.write_bytes(answers_xlsx(s, settings.default_locale, settings.tz))
            except OSError as exc:
                raise CareopsError(f"{xlsx}: cannot write ({exc.strerror or exc})") from None
        if send:
            reports.queue_summary(UnitOfWork(), the_year, get_mailer(), settings, utcnow())
            deliver_now()
    console.print(f"survey {the_year}: rate {s.rate_text()} ({s.answered_invited} of "
                  f"{s.invited} invited; {s.answered} answers in all)")
    for code, count in s.needs.items():
        console.print(f"  {code}: {count} customers; budget {s.budget_by_need[code]}; "
                      f"timing {s.timing_by_need[code]}", highlight=False)
