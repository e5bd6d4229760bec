"""A spend window's day and month begin at midnight where the window says (``timezone:``):
the periods a call reserves in, and when they end."""

from __future__ import annotations

from datetime import UTC, datetime

from podium.activities.spend import periods


def test_a_jakarta_day_begins_at_midnight_in_jakarta():
    late_utc = datetime(2026, 11, 10, 17, 30, tzinfo=UTC)  # 00:30 on 11.11 in Jakarta (UTC+7)
    day, day_ends, month, month_ends = periods(late_utc, "Asia/Jakarta")
    assert (day, month) == ("day:2026-11-11", "month:2026-11")
    assert day_ends == datetime(2026, 11, 11, 17, 0, tzinfo=UTC)
    assert month_ends == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert periods(late_utc, "UTC")[0] == "day:2026-11-10"


def test_the_last_day_of_a_year_ends_the_month_and_the_year():
    day, day_ends, month, month_ends = periods(datetime(2026, 12, 31, 12, tzinfo=UTC), "UTC")
    assert (day, month) == ("day:2026-12-31", "month:2026-12")
    assert day_ends == month_ends == datetime(2027, 1, 1, tzinfo=UTC)
