"""On PostgreSQL: the daily run and a payment at the same moment, and two runs at once. The run
locks each chunk's accounts first, as every payment does, so it sees a payment that commits while
it waits, orders no disconnection for arrears just paid, and two runs open one case."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from dunning_world import at, make_account, run_day, serve_notice, steps_by_day

from gridcare.customers.models import UsageCategory
from gridcare.payments.models import (
    DunningCase,
    DunningCaseStatus,
    PaymentChannel,
    SupplyOrder,
)
from gridcare.payments.operations import hold_accounts, record_payment

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="threads need a database other connections can open"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def dunning_data(ledger_chart: None) -> None:
    """The default plan, templates and policies as the data migrations seed them — the
    notifications service's (the arrears notice letter) and dunning's — which a transactional
    test's flush removed."""
    importlib.import_module("gridcare.notifications.migrations.0004_default_templates_and_policies").seed(
        apps, None
    )
    importlib.import_module("gridcare.payments.migrations.0009_dunning_defaults").seed(apps, None)


def _in_threads(*works: Callable[[], object]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
        time.sleep(0.5)  # in the order given: the first holds its locks before the next starts
    for thread in threads:
        thread.join(60)
    return errors


def test_a_payment_committing_while_the_run_waits_is_seen_and_no_order_is_made(
    dunning_data: None, org_tree: Any, manager: Any, cashier: Any
) -> None:
    account = make_account(
        org_tree.station, sequence=51, usage_category=UsageCategory.GENERAL_COMMERCIAL, now=at(0)
    )
    for number in range(1, 31):
        run_day(number)
        if number == 26:
            serve_notice(account=account, actor=manager, org_unit=org_tree.station, number=26)

    def pay() -> None:
        with transaction.atomic():
            hold_accounts(account_ids=[account.pk])
            time.sleep(1.5)  # the run starts meanwhile and must wait for this payment
            record_payment(
                actor=cashier,
                account=account,
                amount=Decimal("200.00"),
                channel=PaymentChannel.COUNTER_CASH,
                idempotency_key="S-RACE",
                received_at=at(31, 7),
                now=at(31, 7),
            )

    errors = _in_threads(pay, lambda: run_day(31))

    assert errors == []
    assert not SupplyOrder.objects.exists()
    assert list(DunningCase.objects.values_list("status", flat=True)) == [DunningCaseStatus.CLOSED]


def test_two_runs_at_once_open_one_case_and_send_each_step_once(dunning_data: None, org_tree: Any) -> None:
    account = make_account(org_tree.station, sequence=52, now=at(0))

    def hold() -> None:
        # A payment in progress: both runs start while it holds the account, then go at once.
        with transaction.atomic():
            hold_accounts(account_ids=[account.pk])
            time.sleep(1.5)

    errors = _in_threads(hold, lambda: run_day(3), lambda: run_day(3))

    assert errors == []
    assert DunningCase.objects.filter(account=account).count() == 1
    assert steps_by_day(account) == [(3, "reminder_day_3", "sent")]
