"""careops — customer-service back-office automation (the command line)."""

from __future__ import annotations

import typer

from careops.cli import (  # noqa: F401 - holidays adds `preview holiday-windows`
    callbacks,
    cases,
    db,
    demo,
    duty,
    faults,
    gifts,
    holidays,
    imports,
    links,
    outbox,
    reports,
    simulate,
    stack,
    survey,
    watch,
    weekly,
)
from careops.cli.common import CareopsGroup
from careops.cli.doctor import doctor

app = typer.Typer(
    cls=CareopsGroup,
    help="careops: the customer-service department's regulations, run by Prefect.",
    no_args_is_help=True,
)
app.add_typer(db.app, name="db")
app.add_typer(imports.app, name="import")
app.add_typer(demo.app, name="demo")
app.add_typer(callbacks.app, name="callbacks")
app.add_typer(callbacks.preview_app, name="preview")
app.add_typer(stack.app, name="stack")
app.add_typer(faults.app, name="fault")
app.add_typer(outbox.app, name="outbox")
app.command()(doctor)
app.command()(simulate.simulate)
app.add_typer(cases.app, name="case")
app.add_typer(reports.app, name="report")
app.add_typer(weekly.app, name="weekly")
callbacks.preview_app.command("meetings")(weekly.preview_meetings)
app.add_typer(gifts.campaign_app, name="campaign")
app.add_typer(gifts.app, name="gifts")
app.add_typer(survey.app, name="survey")
app.add_typer(duty.app, name="duty")
app.add_typer(watch.app, name="watch")
app.add_typer(links.app, name="links")

if __name__ == "__main__":
    app()
