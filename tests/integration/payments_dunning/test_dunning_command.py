"""``gridcare dunning run --on DATE`` runs the day's dunning and says what it did."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from dunning_world import at, day, make_account, steps_by_day

pytestmark = pytest.mark.django_db


def test_the_run_command_takes_the_days_steps(org_tree: Any) -> None:
    account = make_account(org_tree.station, sequence=70, now=at(0))
    out = io.StringIO()
    call_command("dunning", "run", "--on", day(3).isoformat(), stdout=out)
    assert out.getvalue() == (
        "dunning 2025-01-23: accounts_overdue 1, cases_opened 1, cases_closed 0, steps_sent 1, "
        "steps_skipped 0, disconnection_orders 0, orders_cancelled 0, reconnection_orders 0, "
        "agreements_broken 0, failures 0, remote commands sent 0\n"
    )
    assert [code for _day, code, _outcome in steps_by_day(account)] == ["reminder_day_3"]
    with pytest.raises(CommandError):
        call_command("dunning", "run", "--on", "2025-13-01")


def test_the_check_orders_command_reports_nothing_to_do(db: None) -> None:
    out = io.StringIO()
    call_command("dunning", "check-orders", stdout=out)
    assert out.getvalue() == "remote commands sent 0, reconnection breaches alarmed 0\n"
