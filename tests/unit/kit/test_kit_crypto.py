"""AES-GCM key ring and keyed hashes (gridcare.kit.crypto). Pure: no database."""

from __future__ import annotations

import base64

import pytest

from gridcare.kit.crypto import (
    KeyLine,
    PiiDecryptionError,
    PiiKeyError,
    PiiKeyRing,
    is_ciphertext,
    key_id_of,
    normalize_for_hash,
    parse_key_lines,
)

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))
HASH_KEY = bytes(range(64, 96))
CONTEXT = "customers_customer.id_number"
ID_NUMBER = "11010519491231002X"


def ring(*keys: tuple[str, bytes]) -> PiiKeyRing:
    return PiiKeyRing(keys=[KeyLine(key_id=key_id, key=key) for key_id, key in keys], hash_key=HASH_KEY)


def test_ciphertext_is_versioned_text_naming_its_key_and_decrypts_back() -> None:
    ciphertext = ring(("k1", KEY_1)).encrypt(ID_NUMBER, context=CONTEXT)

    version, key_id, payload = ciphertext.split("$")
    assert (version, key_id) == ("gc1", "k1")
    # 12-byte nonce + 18 bytes of plaintext + 16-byte tag, URL-safe base64.
    assert len(base64.urlsafe_b64decode(payload)) == 12 + 18 + 16
    assert ID_NUMBER not in ciphertext
    assert is_ciphertext(ciphertext)
    assert key_id_of(ciphertext) == "k1"
    assert ring(("k1", KEY_1)).decrypt(ciphertext, context=CONTEXT) == ID_NUMBER


def test_each_encryption_uses_a_fresh_nonce() -> None:
    keys = ring(("k1", KEY_1))

    assert keys.encrypt(ID_NUMBER, context=CONTEXT) != keys.encrypt(ID_NUMBER, context=CONTEXT)


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old = ring(("k1", KEY_1)).encrypt("13812345678", context=CONTEXT)
    rotated = ring(("k2", KEY_2), ("k1", KEY_1))

    assert rotated.active_key_id == "k2"
    assert rotated.key_ids == ("k2", "k1")
    assert rotated.decrypt(old, context=CONTEXT) == "13812345678"
    assert rotated.needs_reencryption(old) is True
    assert key_id_of(rotated.encrypt("13812345678", context=CONTEXT)) == "k2"
    assert rotated.needs_reencryption(rotated.encrypt("x", context=CONTEXT)) is False


def test_a_value_moved_to_another_column_fails_to_decrypt() -> None:
    keys = ring(("k1", KEY_1))
    ciphertext = keys.encrypt("13812345678", context="customers_contact.mobile")

    with pytest.raises(PiiDecryptionError, match=r"identity_user\.mobile fails authentication"):
        keys.decrypt(ciphertext, context="identity_user.mobile")


def test_a_tampered_ciphertext_fails_to_decrypt() -> None:
    keys = ring(("k1", KEY_1))
    version, key_id, payload = keys.encrypt(ID_NUMBER, context=CONTEXT).split("$")
    raw = bytearray(base64.urlsafe_b64decode(payload))
    raw[15] ^= 0x01
    tampered = "$".join((version, key_id, base64.urlsafe_b64encode(bytes(raw)).decode()))

    with pytest.raises(PiiDecryptionError, match="altered"):
        keys.decrypt(tampered, context=CONTEXT)


def test_a_relabelled_key_id_fails_to_decrypt() -> None:
    both = ring(("k2", KEY_2), ("k1", KEY_1))
    _version, _key_id, payload = ring(("k1", KEY_1)).encrypt(ID_NUMBER, context=CONTEXT).split("$")

    with pytest.raises(PiiDecryptionError):
        both.decrypt(f"gc1$k2${payload}", context=CONTEXT)


@pytest.mark.parametrize(
    ("ciphertext", "message"),
    [
        ("11010519491231002X", "Not a gc1 ciphertext"),
        ("gc1$k9$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "key 'k9', which is not in the key ring"),
        ("gc1$k1$AAAA", "too short"),
        ("gc1$k1$@@@@", "not valid base64"),
    ],
)
def test_malformed_ciphertexts_are_refused_with_a_clear_error(ciphertext: str, message: str) -> None:
    with pytest.raises(PiiDecryptionError, match=message):
        ring(("k1", KEY_1)).decrypt(ciphertext, context=CONTEXT)


def test_keyed_hash_is_stable_normalized_and_separated_by_kind() -> None:
    keys = ring(("k1", KEY_1))

    assert keys.keyed_hash(" 11010519491231002x ", kind="id_number") == keys.keyed_hash(
        ID_NUMBER, kind="id_number"
    )
    assert len(keys.keyed_hash(ID_NUMBER, kind="id_number")) == 64
    assert keys.keyed_hash("13812345678", kind="mobile") != keys.keyed_hash("13812345678", kind="landline")
    other_hash_key = PiiKeyRing(keys=[KeyLine(key_id="k1", key=KEY_1)], hash_key=KEY_2)
    assert other_hash_key.keyed_hash(ID_NUMBER, kind="id_number") != keys.keyed_hash(
        ID_NUMBER, kind="id_number"
    )
    assert normalize_for_hash(" 11010519491231002x\n") == ID_NUMBER


def test_key_lines_parse_from_commas_or_lines_in_order() -> None:
    text = (
        f"k2:{base64.b64encode(KEY_2).decode()}, # comment\nk1:{base64.urlsafe_b64encode(KEY_1).decode()}\n"
    )

    assert parse_key_lines(text) == [KeyLine(key_id="k2", key=KEY_2), KeyLine(key_id="k1", key=KEY_1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k1", "id:base64key"),
        ("bad id:" + base64.b64encode(KEY_1).decode(), "id:base64key"),
        ("k1:" + base64.b64encode(b"short").decode(), "has 5 bytes"),
        ("k1:***", "not valid base64"),
        (f"k1:{base64.b64encode(KEY_1).decode()},k1:{base64.b64encode(KEY_2).decode()}", "defined twice"),
    ],
)
def test_malformed_key_lines_are_refused(text: str, message: str) -> None:
    with pytest.raises(PiiKeyError, match=message):
        parse_key_lines(text)


def test_a_ring_needs_a_data_key_and_a_distinct_hash_key() -> None:
    with pytest.raises(PiiKeyError, match="at least one data key"):
        PiiKeyRing(keys=[], hash_key=HASH_KEY)
    with pytest.raises(PiiKeyError, match="must differ"):
        PiiKeyRing(keys=[KeyLine(key_id="k1", key=KEY_1)], hash_key=KEY_1)
