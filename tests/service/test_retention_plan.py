"""Retention planning: a pure function of the backups, the period and the clock."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from azsbackup.model import new_backup_id
from azsbackup.service.export import plan_retention

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def backup(days_ago: float, status: str = "Succeeded") -> tuple[str, str]:
    return new_backup_id(NOW - dt.timedelta(days=days_ago)), status


def test_older_than_the_period_is_deleted() -> None:
    old, recent = backup(8), backup(1)
    plan = plan_retention([old, recent], 7, NOW)
    assert plan.delete == [old[0]] and plan.keep == [recent[0]]
    assert "older than 7 days" in plan.reasons[old[0]]


def test_the_newest_complete_backup_is_kept_whatever_its_age() -> None:
    oldest, newest_complete, failed = backup(30), backup(20, "PartialSucceeded"), backup(10, "Failed")
    plan = plan_retention([oldest, newest_complete, failed], 7, NOW)
    assert plan.keep == [newest_complete[0]]
    assert sorted(plan.delete) == sorted([oldest[0], failed[0]])


def test_lowering_retention_takes_effect_on_the_next_plan() -> None:
    backups = [backup(d) for d in (1, 3, 5, 6)]
    assert plan_retention(backups, 7, NOW).delete == []
    assert len(plan_retention(backups, 2, NOW).delete) == 3


@given(
    ages=st.lists(st.floats(min_value=0, max_value=60), max_size=40),
    days=st.integers(2, 14),
    failed=st.lists(st.booleans(), max_size=40),
)
def test_plan_invariants(ages: list[float], days: int, failed: list[bool]) -> None:
    backups = [backup(a, "Failed" if i < len(failed) and failed[i] else "Succeeded") for i, a in enumerate(ages)]
    plan = plan_retention(backups, days, NOW)
    assert sorted(plan.keep + plan.delete) == sorted(b[0] for b in backups)
    complete = [b[0] for b in backups if b[1] != "Failed"]
    if complete:
        assert max(complete) in plan.keep
