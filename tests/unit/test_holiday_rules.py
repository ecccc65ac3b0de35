"""R3 holiday periods and watch windows over the published 2025-2026 calendars."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from careops.calendar import UnknownCalendarYear, WorkCalendar, YearSupplement, statutory_days
from careops.cli.main import app
from careops.errors import CareopsError
from careops.rules.holidays import (
    current_or_next,
    holiday_key,
    period_by_id,
    periods_ending_in,
    periods_starting_in,
    provisional_supplement,
    readiness_day,
    round_slot,
    round_times,
)

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.mark.parametrize(
    ("period_id", "first", "last", "start", "end", "names"),
    [
        # New Year 2026: Thu 1 + Fri 2 (moved from Sun 4) + Sat 3; opens on 31 December 2025
        ("2026-new-year", "2026-01-01", "2026-01-03", "2025-12-31 18:00", "2026-01-04 00:00",
         ("元旦",)),
        # Spring Festival 2026: make-up Saturday 14 Feb opens the window; Sat 28 Feb is worked
        ("2026-spring-festival", "2026-02-15", "2026-02-23", "2026-02-14 18:00",
         "2026-02-24 00:00", ("春节",)),
        # 2025: Spring Festival Eve is a statutory day; make-up Sunday 26 Jan, Saturday 8 Feb
        ("2025-spring-festival", "2025-01-28", "2025-02-04", "2025-01-27 18:00",
         "2025-02-05 00:00", ("春节",)),
        # 2025: National Day and Mid-Autumn in one run of eight days
        ("2025-national-day", "2025-10-01", "2025-10-08", "2025-09-30 18:00",
         "2025-10-09 00:00", ("国庆节", "中秋节")),
        # 2026: Mid-Autumn (Fri 25 Sep) is its own period, National Day the next week
        ("2026-mid-autumn", "2026-09-25", "2026-09-27", "2026-09-24 18:00", "2026-09-28 00:00",
         ("中秋节",)),
        ("2026-national-day", "2026-10-01", "2026-10-07", "2026-09-30 18:00",
         "2026-10-08 00:00", ("国庆节",)),
        ("2025-new-year", "2025-01-01", "2025-01-01", "2024-12-31 18:00", "2025-01-02 00:00",
         ("元旦",)),
        ("2026-may-day", "2026-05-01", "2026-05-05", "2026-04-30 18:00", "2026-05-06 00:00",
         ("劳动节",)),
    ],
)
def test_periods_and_windows(period_id, first, last, start, end, names) -> None:
    p = period_by_id(period_id, CAL, TZ)
    assert (p.first_day, p.last_day) == (date.fromisoformat(first), date.fromisoformat(last))
    assert (p.start, p.end) == (at(start), at(end))
    assert p.names == names


def test_every_period_of_2026_in_order_and_no_plain_weekend() -> None:
    ids = [p.id for p in periods_starting_in(2026, CAL, TZ)]
    assert ids == ["2026-new-year", "2026-spring-festival", "2026-qingming", "2026-may-day",
                   "2026-dragon-boat", "2026-mid-autumn", "2026-national-day"]


def test_only_the_watched_holidays_open_windows() -> None:
    watched = ("new-year", "may-day", "national-day", "spring-festival")
    ids = [p.id for p in periods_starting_in(2025, CAL, TZ, watched)]
    assert ids == ["2025-new-year", "2025-spring-festival", "2025-may-day", "2025-national-day"]


def test_a_moved_day_off_is_no_holiday_of_its_own() -> None:
    assert holiday_key("休息日（由 2026-01-04 调休）") is None
    assert holiday_key("清明节（补假）") == "qingming"
    assert holiday_key("农历除夕") == "spring-festival"


def test_an_unpublished_year_is_refused_by_name() -> None:
    with pytest.raises(UnknownCalendarYear, match="2027"):
        periods_starting_in(2027, CAL, TZ)


def test_a_supplement_year_works_the_same_way() -> None:
    sup = YearSupplement(2027, days_off=frozenset({date(2027, 1, 1)}),
                         names={date(2027, 1, 1): "元旦"})
    cal = WorkCalendar({2027: sup})
    p = periods_starting_in(2027, cal, TZ)[0]
    assert (p.id, p.start, p.end) == ("2027-new-year", at("2026-12-31 18:00"),
                                      at("2027-01-04 00:00"))  # Fri 1 + the weekend


def _provisional(cal: WorkCalendar = CAL) -> WorkCalendar:
    return cal.provisional(lambda year: provisional_supplement(year, statutory_days(year)))


def test_an_unpublished_year_is_planned_provisionally_from_statutory_days_and_weekends():
    # the holidays package knows New Year 2027 on Friday 1 January: with the weekend, 1-3
    # January; no make-up working day is known, so the window opens on Thursday 31 December
    statutory = statutory_days(2027)
    assert statutory[date(2027, 1, 1)] == "元旦"
    cal = _provisional()
    assert cal.is_provisional(2027) and not cal.is_provisional(2026)
    assert not cal.is_published(2027)  # deadlines still wait: only R3 plans provisionally
    p = period_by_id("2027-new-year", cal, TZ)
    assert (p.first_day, p.last_day) == (date(2027, 1, 1), date(2027, 1, 3))
    assert (p.start, p.end) == (at("2026-12-31 18:00"), at("2027-01-04 00:00"))
    assert p.provisional and p.as_json()["provisional"] is True
    # National Day 2026 only touches published days: not provisional
    assert not period_by_id("2026-national-day", cal, TZ).provisional
    # the watch sees it coming in December instead of nothing
    assert current_or_next(at("2026-12-28 09:00"), cal, TZ).id == "2027-new-year"
    assert readiness_day(p, cal, 3) == date(2026, 12, 28)


def test_provisional_supplement_is_the_statutory_days_only():
    sup = provisional_supplement(2027, {date(2027, 1, 1): "元旦", date(2026, 12, 31): "x"})
    assert sup.days_off == {date(2027, 1, 1)} and sup.workdays == frozenset()
    assert sup.names == {date(2027, 1, 1): "元旦"}


@pytest.mark.parametrize(
    ("toml", "start", "end"),
    [
        # as planned: Friday 1 January and the weekend
        ('days_off = [2027-01-01]', "2026-12-31 18:00", "2027-01-04 00:00"),
        # extended: Monday 4 January off too (a make-up Saturday 9 January)
        ('days_off = [2027-01-01, 2027-01-04]\nworkdays = [2027-01-09]',
         "2026-12-31 18:00", "2027-01-05 00:00"),
        # moved earlier: 31 December 2026 off (a neighbouring-year date in the 2027 notice)
        ('days_off = [2026-12-31, 2027-01-01]', "2026-12-30 18:00", "2027-01-04 00:00"),
        # shortened: Saturday 2 January made a working day
        ('days_off = [2027-01-01]\nworkdays = [2027-01-02]', "2026-12-31 18:00",
         "2027-01-02 00:00"),
    ],
)
def test_the_published_calendar_gives_the_final_window(tmp_path, toml, start, end):
    from careops.calendar import load_calendar

    (tmp_path / "2027.toml").write_text(toml + '\n[names]\n2027-01-01 = "元旦"\n')
    cal = _provisional(load_calendar(tmp_path))
    p = period_by_id("2027-new-year", cal, TZ)
    assert (p.start, p.end, p.provisional) == (at(start), at(end), False)


def test_current_or_next_and_rounds() -> None:
    assert current_or_next(at("2026-12-01 10:00"), CAL, TZ) is None  # 2027 unpublished
    p = current_or_next(at("2026-09-28 10:00"), CAL, TZ)
    assert p is not None and p.id == "2026-national-day"
    assert current_or_next(at("2026-10-03 03:00"), CAL, TZ).id == "2026-national-day"
    slots = round_times(p, 5)
    assert slots[0] == p.start and slots[-1] == at("2026-10-07 23:55")
    assert len(slots) == (7 * 24 + 6) * 12
    assert round_slot(p, at("2026-10-01 08:07"), 5) == at("2026-10-01 08:05")


def test_readiness_counts_working_days_back_over_mid_autumn() -> None:
    p = period_by_id("2026-national-day", CAL, TZ)
    assert readiness_day(p, CAL, 3) == date(2026, 9, 24)  # 29, 28, (25-27 off), 24


def test_bad_period_id() -> None:
    with pytest.raises(CareopsError, match="2026-xmas"):
        period_by_id("2026-xmas", CAL, TZ)


def test_preview_json_as_specified() -> None:
    result = CliRunner().invoke(app, ["preview", "holiday-windows", "--year", "2026", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0]["start"] == "2025-12-31T18:00:00+08:00"
    assert data[0]["end"] == "2026-01-04T00:00:00+08:00"
    assert data[0]["names"] == ["元旦"]
    assert [d["start"] for d in data] == sorted(d["start"] for d in data)


def test_preview_of_an_unpublished_year_shows_the_provisional_windows(tmp_path,
                                                                     monkeypatch) -> None:
    from careops import bootstrap
    from careops.settings import get_settings

    monkeypatch.setenv("CAREOPS_CALENDAR_DIR", str(tmp_path))  # no 2027.toml
    get_settings.cache_clear()
    bootstrap.reset()
    try:
        result = CliRunner().invoke(app, ["preview", "holiday-windows", "--year", "2027",
                                          "--json"])
        assert result.exit_code == 0, result.output
        first = json.loads(result.output)[0]
        assert (first["id"], first["start"], first["provisional"]) == (
            "2027-new-year", "2026-12-31T18:00:00+08:00", True)
        table = CliRunner().invoke(app, ["preview", "holiday-windows", "--year", "2027"],
                                   env={"COLUMNS": "200"})
        squeezed = "".join(table.output.split())  # however the console's width folded it
        assert "PROVISIONAL" in table.output and "2027.tomlismissing" in squeezed
        (tmp_path / "2027.toml").write_text('days_off = [2027-01-01]\n[names]\n'
                                            '2027-01-01 = "元旦"\n')
        published = CliRunner().invoke(app, ["preview", "holiday-windows", "--year", "2027",
                                             "--json"])
        assert [p["provisional"] for p in json.loads(published.output)] == [False]
    finally:
        get_settings.cache_clear()
        bootstrap.reset()


@pytest.mark.parametrize(
    ("first", "last", "ids"),
    [
        # Spring Festival 2025 runs 28 Jan - 4 Feb: it belongs to February, the month it ended
        ("2025-01-01", "2025-01-31", ["2025-new-year"]),
        ("2025-02-01", "2025-02-28", ["2025-spring-festival"]),
        # New Year 2026's window opens on 31 December 2025: still January's
        ("2025-12-01", "2025-12-31", []),
        ("2026-01-01", "2026-01-31", ["2026-new-year"]),
        # National Day 2026 (window from 30 September 18:00) is October's, Mid-Autumn September's
        ("2026-09-01", "2026-09-30", ["2026-mid-autumn"]),
        ("2026-10-01", "2026-10-31", ["2026-national-day"]),
        ("2026-11-01", "2026-11-30", []),
    ],
)
def test_periods_ending_in_a_month(first, last, ids) -> None:
    found = periods_ending_in(date.fromisoformat(first), date.fromisoformat(last), CAL, TZ)
    assert [p.id for p in found] == ids


def test_periods_ending_in_an_unpublished_year_name_it() -> None:
    with pytest.raises(UnknownCalendarYear) as caught:
        periods_ending_in(date(2027, 1, 1), date(2027, 1, 31), CAL, TZ)
    assert caught.value.year == 2027
