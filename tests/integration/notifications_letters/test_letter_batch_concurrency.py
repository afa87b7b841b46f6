"""Two print runs of the same unit at once (threads with their own connections) never print a
letter twice: together they print each due letter exactly once."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from django.db import connection

from gridcare.notifications.errors import NoLettersDue
from gridcare.notifications.letters import print_letter_batch
from gridcare.notifications.models import LetterBatch, LetterBatchEntry, MessageState, OutboxMessage
from gridcare.notifications.operations import notify

from .conftest import ARREARS_CONTEXT, LetterPolicies, LetterRecipientFactory, LetterStaff

LETTERS = 6


@pytest.mark.django_db(transaction=True)
def test_two_print_runs_at_once_print_each_letter_once(
    letter_policies: LetterPolicies,
    letter_recipient_factory: LetterRecipientFactory,
    letter_staff: LetterStaff,
    org_tree: Any,
    now: datetime,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is one in-memory connection; PostgreSQL runs this")
    notify(
        event="arrears_notice",
        recipients=[letter_recipient_factory(number, org_unit=org_tree.station) for number in range(LETTERS)],
        context=ARREARS_CONTEXT,
        now=now,
        dedupe_key="c",
    )
    start = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def print_batch() -> None:
        try:
            start.wait(timeout=20)
            batch = print_letter_batch(actor=letter_staff.county_cashier, org_unit=org_tree.county, now=now)
            outcomes.append(f"printed {batch.letter_count}")
        except NoLettersDue:
            outcomes.append("nothing due")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=print_batch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(LetterBatch.objects.values_list("letter_count", flat=True)) == LETTERS
    assert LetterBatchEntry.objects.values("message").distinct().count() == LETTERS
    assert OutboxMessage.objects.filter(state=MessageState.SENT).count() == LETTERS
    assert len(outcomes) == 2
