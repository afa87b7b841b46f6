"""The signed-request examples of docs/bank-channels.md, computed with the real client helper."""

from __future__ import annotations

import json

import pytest

from gridcare.identity.signing import body_digest, sign_request

KEY = "demo-signing-key-do-not-use"

PAYMENT_BODY = json.dumps(
    {
        "serial": "ICBC202503100001",
        "account_no": "0000000018",
        "amount": "120.00",
        "paid_at": "2025-03-10T10:15:00+08:00",
    }
).encode()
REVERSAL_BODY = json.dumps(
    {"serial": "ICBC202503100099", "original_serial": "ICBC202503100001", "reason": "柜员录入错误"},
    ensure_ascii=False,
).encode()


def test_the_payment_example_body_and_digest() -> None:
    assert len(PAYMENT_BODY) == 118
    assert body_digest(PAYMENT_BODY) == "6ea590214102d6c1bb3b95077d3c13cd950ad1c347c1c74c930a984e08f5e7e4"
    assert len(REVERSAL_BODY) == 101


@pytest.mark.parametrize(
    ("method", "url", "body", "timestamp", "nonce", "signature"),
    [
        (
            "POST",
            "/api/v1/payments/bank/payments",
            PAYMENT_BODY,
            1741572900,
            "b7Qe2-EXAMPLEnonce0042",
            "Ik5bKi8xlXHzjSPLD8oSy97ckr0dwi5L4STzKk1Gg3M=",
        ),
        (
            "GET",
            "/api/v1/payments/bank/accounts/0000000018/amount-due",
            b"",
            1741572900,
            "b7Qe2-EXAMPLEnonce0041",
            "NvThLShfiAclHzKWF68qpBdmmXafjpuFnMcVneKu0mk=",
        ),
        (
            "POST",
            "/api/v1/payments/bank/reversals",
            REVERSAL_BODY,
            1741572960,
            "b7Qe2-EXAMPLEnonce0043",
            "RiMZKqjsov8AHWqm0rw13tR5XOCe23DFopBre35rb+E=",
        ),
    ],
)
def test_the_documented_signatures(
    method: str, url: str, body: bytes, timestamp: int, nonce: str, signature: str
) -> None:
    headers = sign_request(
        method=method, url=url, body=body, token="gct_0", signing_key=KEY, timestamp=timestamp, nonce=nonce
    )
    assert headers["X-GridCare-Signature"] == signature
