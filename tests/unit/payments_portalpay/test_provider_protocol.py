"""The provider's RSA2 signatures (docs/provider-payments.md): the exact canonical string, a
signature checked by hand against RSA's own arithmetic (PKCS#1 v1.5 over SHA-256), and the
refusals of anything altered."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gridcare.payments.provider_protocol import (
    canonical_string,
    ensure_private_key_file,
    load_public_key,
    public_key_file,
    sign_parameters,
    signature_is_valid,
    signed,
)

NOTIFICATION = {
    "app_id": "2026112900000001",
    "out_trade_no": "GC202503100000000001",
    "trade_no": "20250310ABCDEF0123456789",
    "total_amount": "181.50",
    "trade_status": "TRADE_SUCCESS",
    "gmt_payment": "2025-03-10 09:31:02",
    "notify_id": "n-1",
    "subject": "电费缴纳 户号3701000001",
    "buyer_logon_id": "",
    "sign_type": "RSA2",
    "sign": "ignored",
}
#: Sorted by name; the empty buyer_logon_id, sign and sign_type left out; values not encoded.
CANONICAL = (
    "app_id=2026112900000001&gmt_payment=2025-03-10 09:31:02&notify_id=n-1"
    "&out_trade_no=GC202503100000000001&subject=电费缴纳 户号3701000001&total_amount=181.50"
    "&trade_no=20250310ABCDEF0123456789&trade_status=TRADE_SUCCESS"
)
#: The DER DigestInfo prefix of a SHA-256 digest (RFC 8017 §9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_the_canonical_string_is_the_sorted_non_empty_parameters_but_the_signature() -> None:
    assert canonical_string(NOTIFICATION) == CANONICAL
    assert canonical_string({"b": "2", "a": "1", "c": ""}) == "a=1&b=2"


def test_a_signature_is_pkcs1_v15_sha256_of_the_canonical_string_in_base64(key: rsa.RSAPrivateKey) -> None:
    signature = base64.b64decode(sign_parameters(NOTIFICATION, private_key=key))
    numbers = key.public_key().public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    # RSA's verification by hand: s^e mod n is 00 01 FF..FF 00 DigestInfo(SHA-256(canonical)).
    encoded = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n).to_bytes(size, "big")
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(CANONICAL.encode("utf-8")).digest()
    assert encoded == b"\x00\x01" + b"\xff" * (size - 3 - len(digest_info)) + b"\x00" + digest_info
    # PKCS#1 v1.5 is deterministic: the same parameters sign the same, whatever their order.
    assert (
        sign_parameters(dict(reversed(NOTIFICATION.items())), private_key=key)
        == base64.b64encode(signature).decode()
    )


def test_signed_parameters_verify_and_anything_altered_does_not(key: rsa.RSAPrivateKey) -> None:
    message = signed({"out_trade_no": "GC1", "total_amount": "10.00"}, private_key=key)
    public = key.public_key()
    assert message["sign_type"] == "RSA2"
    assert signature_is_valid(message, public_key=public) is True
    assert signature_is_valid({**message, "total_amount": "10.01"}, public_key=public) is False
    assert signature_is_valid({**message, "trade_no": "extra"}, public_key=public) is False
    assert signature_is_valid({**message, "sign_type": "RSA"}, public_key=public) is False
    assert signature_is_valid({**message, "sign": "not base64!"}, public_key=public) is False
    assert signature_is_valid({**message, "sign": ""}, public_key=public) is False
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    assert signature_is_valid(message, public_key=other) is False
    # An empty parameter is not signed, so adding one changes nothing.
    assert signature_is_valid({**message, "buyer_id": ""}, public_key=public) is True


def test_a_key_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "merchant.pem"
    first = ensure_private_key_file(path)
    second = ensure_private_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.private_numbers() == second.private_numbers()
    assert public_key_file(path) == tmp_path / "keys" / "merchant.pub.pem"
    assert load_public_key(public_key_file(path)).public_numbers() == first.public_key().public_numbers()
    assert sorted(entry.name for entry in path.parent.iterdir()) == ["merchant.pem", "merchant.pub.pem"]
