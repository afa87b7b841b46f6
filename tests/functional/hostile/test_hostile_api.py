"""Hostile names and addresses through the JSON API (/api/v1/): returned exactly, as JSON (never
HTML), and never a server error. A staff session logs in, as on the pages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client
from hostile_world import HOSTILE_TEXTS, HostileFile

from gridcare.identity.models import User

ACCOUNT_LIST = "/api/v1/accounts/"
ACCOUNT_DETAIL = "/api/v1/accounts/{account_no}"


def _json(client: Client, path: str, params: dict[str, str] | None = None) -> object:
    response = client.get(path, params or {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(HOSTILE_TEXTS))
def test_the_account_endpoint_returns_hostile_text_exactly(
    hostile_file: HostileFile, client_for: Callable[[User], Client], key: str
) -> None:
    record = hostile_file.records[key]

    body = _json(client_for(hostile_file.clerk), ACCOUNT_DETAIL.format(account_no=record.account.account_no))

    text = json.dumps(body, ensure_ascii=False)
    assert json.dumps(record.text, ensure_ascii=False) in text


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["script", "sql_or", "sql_drop", "hyperlink_formula", "emoji"])
def test_searching_the_api_for_hostile_text_finds_exactly_that_account(
    hostile_file: HostileFile, client_for: Callable[[User], Client], key: str
) -> None:
    record = hostile_file.records[key]

    body = _json(client_for(hostile_file.clerk), ACCOUNT_LIST, {"q": record.text})

    text = json.dumps(body, ensure_ascii=False)
    assert record.account.account_no in text
    others = [
        other.account.account_no for other_key, other in hostile_file.records.items() if other_key != key
    ]
    assert not any(number in text for number in others)
