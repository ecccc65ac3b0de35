"""`careops import ...` and `careops demo seed` as an operator runs them (CliRunner, real db)."""

from __future__ import annotations

import re

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from careops.db.engine import get_engine
from careops.db.models.common import Customer, Project, Staff
from careops.settings import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "config" / "samples"


@pytest.fixture
def cli(settings) -> typer.Typer:
    """The real `careops` command (main joins the import and demo groups)."""
    from careops.cli.main import app

    return app


def run(cli, *args: str):
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def flat(output: str) -> str:
    """The output without table borders and line wrapping, for substring checks."""
    return re.sub(r"[\s│┃|─━┏┓┗┛┡┩└┘┌┐╇╈]+", "", output)


def count(settings, model) -> int:
    with get_engine(settings.database_url).connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def test_importing_the_samples_exits_0_and_reimport_reports_unchanged(cli, settings):
    for kind, n in (("staff", 13), ("customers", 6), ("projects", 8)):
        result = run(cli, "import", kind, str(SAMPLES / f"{kind}.csv"), "--today", "2026-11-23")
        assert result.exit_code == 0, result.output
        assert f"{kind} from {kind}.csv: {n} inserted, 0 updated, 0 unchanged, 0 rejected" in (
            result.output
        )
    again = run(cli, "import", "projects", str(SAMPLES / "projects.csv"))
    assert again.exit_code == 0
    assert "0 inserted, 0 updated, 8 unchanged, 0 rejected" in again.output
    assert count(settings, Project) == 8


def test_rejected_rows_are_listed_and_exit_1_with_good_rows_stored(cli, settings, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(
        "code,name,department,email\n"
        "CS001,王丽娟,客服部,wlj@careops.local\n"
        "CS002,陈晓燕,客服部,no-at-sign\n"
        "CS003,[bold]刘婷,财务部,lt@careops.local\n",
        encoding="utf-8",
    )
    errors = tmp_path / "errors.csv"
    result = run(cli, "import", "staff", str(path), "--errors", str(errors))
    assert result.exit_code == 1, result.output
    text = flat(result.output)
    assert "3email:'no-at-sign'isnotane-mailaddress" in text
    assert "4department:'财务部'isnotadepartment" in text
    assert "1inserted,0updated,0unchanged,2rejected" in text
    assert count(settings, Staff) == 1
    assert errors.read_text(encoding="utf-8-sig").splitlines()[1:] == [
        "3,email: 'no-at-sign' is not an e-mail address (An email address must have an @-sign.)",
        "4,department: '财务部' is not a department "
        "(CS/TS/BIZ/OFFICE/GM/LEADERSHIP or 客服部/技术服务部/业务部/办公室/总经理/高层领导)",
    ]


def test_rejected_rows_can_be_written_as_xlsx(cli, settings, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "staff.csv"
    path.write_text("code,name,department,email\nCS002,陈晓燕,客服部,=cmd\n", encoding="utf-8")
    errors = tmp_path / "rejected.xlsx"
    assert run(cli, "import", "staff", str(path), "--errors", str(errors)).exit_code == 1
    rows = list(load_workbook(errors).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("row", "reason") and rows[1][0] == 2
    assert rows[1][1].startswith("email: '=cmd' is not an e-mail address")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "customers", "missing.csv"], "missing.csv: cannot read the file"),
        (["import", "staff", "staff.json"], "staff.json: unsupported file type '.json'"),
        (["import", "projects", "PROJECTS", "--today", "23/11/2026"], "--today '23/11/2026'"),
    ],
)
def test_an_unusable_input_exits_2_with_the_reason(cli, settings, tmp_path, args, message):
    args = [str(SAMPLES / "projects.csv") if a == "PROJECTS" else a for a in args]
    result = run(cli, *args)
    assert result.exit_code == 2
    assert message in flat(result.output) or message in result.output
    assert "Traceback" not in result.output
    assert count(settings, Customer) == 0


def test_a_missing_column_exits_2(cli, settings, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("code,name\nC1,某公司\n", encoding="utf-8")
    result = run(cli, "import", "customers", str(path))
    assert result.exit_code == 2
    assert "missing required column(s): contact_name, contact_phone" in result.output


def test_demo_seed_then_skip(cli, settings):
    result = run(cli, "demo", "seed", "--today", "2026-11-23", "--seed", "42")
    assert result.exit_code == 0, result.output
    assert "demo data seeded: 30 staff, 200 customers" in result.output
    assert count(settings, Project) == 400
    again = run(cli, "demo", "seed")
    assert again.exit_code == 0
    assert "demo data not seeded" in again.output
    assert count(settings, Project) == 400


def test_help_lists_the_commands(cli):
    result = run(cli, "import", "--help")
    assert result.exit_code == 0
    for command in ("staff", "customers", "projects"):
        assert command in result.output


@pytest.mark.parametrize("where", ["no-such-dir/errors.csv", "a-directory"])
def test_an_unwritable_errors_path_is_refused_before_anything_is_stored(cli, settings, tmp_path,
                                                                        where):
    (tmp_path / "a-directory").mkdir()
    target = tmp_path / where
    result = run(cli, "import", "customers", str(SAMPLES / "customers.csv"), "--errors",
                 str(target))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"--errors {target}:" in text and "nothing was imported" in text
    assert count(settings, Customer) == 0


def test_a_checked_errors_path_gets_the_report_even_with_no_rejects(cli, settings, tmp_path):
    target = tmp_path / "errors.csv"
    result = run(cli, "import", "customers", str(SAMPLES / "customers.csv"), "--errors",
                 str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8-sig") == "row,reason\n"
