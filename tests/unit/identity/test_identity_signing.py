"""The canonical string and signature of a signed API request: the worked examples of
docs/api.md, byte for byte."""

from __future__ import annotations

from gridcare.identity.signing import (
    canonical_path,
    canonical_query,
    canonical_string,
    compute_signature,
    sign_request,
    signatures_match,
)

KEY = "demo-signing-key-do-not-use"
BODY = (
    b'{"asset_no": "M-A1-0001", "read_at": "2025-03-10T08:00:00+08:00", "source": "ami", '
    b'"registers": {"import_active_total": "2400.00"}}'
)


def test_the_worked_post_example():
    canonical = canonical_string(
        method="post",
        path="/api/v1/meter-reads",
        query="",
        timestamp="1741570200",
        nonce="3q2-7wEXAMPLEnonce0001",
        body=BODY,
    )

    assert canonical == (
        "POST\n/api/v1/meter-reads\n\n1741570200\n3q2-7wEXAMPLEnonce0001\n"
        "57d8cd474f9a96a2008357c1eea007aa4975c571038b7f4453f7508ccf115837"
    )
    assert (
        compute_signature(signing_key=KEY, canonical=canonical)
        == "dZ/hoHAinuVoD49D8vF6gPKlGquXeBhClRvFIOaolcM="
    )


def test_the_worked_get_example_sorts_and_encodes_the_query():
    headers = sign_request(
        method="GET",
        url="/api/v1/accounts/?q=%E5%BC%A0&page=2&a=x+y&a=",
        token="gct_0123456789abcdef.SECRET",
        signing_key=KEY,
        timestamp=1741570200,
        nonce="3q2-7wEXAMPLEnonce0002",
    )

    assert headers == {
        "Authorization": "Bearer gct_0123456789abcdef.SECRET",
        "X-GridCare-Timestamp": "1741570200",
        "X-GridCare-Nonce": "3q2-7wEXAMPLEnonce0002",
        "X-GridCare-Signature": "C8BWnBwwvAEAnZCPHoKoYv+aGx9qErKzpE3nE5vPCmQ=",
    }


def test_query_and_path_canonical_forms():
    assert canonical_query("b=2&a=%20&a=1&c") == "a=%20&a=1&b=2&c="
    assert canonical_query("q=张") == "q=%E5%BC%A0"
    assert canonical_path("/api/v1/accounts/张 3") == "/api/v1/accounts/%E5%BC%A0%203"


def test_signatures_compare_exactly():
    assert signatures_match(expected="abc=", given="abc=")
    assert not signatures_match(expected="abc=", given="abd=")
    assert not signatures_match(expected="abc=", given="")
