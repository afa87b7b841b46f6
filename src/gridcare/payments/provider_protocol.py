"""The third-party payment provider's signature protocol (docs/provider-payments.md), modelled on
Alipay's RSA2: a message is a set of string parameters; its canonical string is every non-empty
parameter except ``sign`` and ``sign_type``, sorted by name, written ``name=value`` and joined
by ``&``; its ``sign`` is the base64 of the SHA256withRSA (PKCS#1 v1.5) signature of that string
in UTF-8. We sign what we send with our private key; the provider signs what it sends with its
own, and we verify it with its public key (and the reverse on the provider's side).

Pure: no Django, no database. Keys are PEM files; :func:`ensure_private_key_file` makes one on
first use (the local sandbox provider's keys and ours in the demo).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: The only signature type spoken: SHA256withRSA.
SIGN_TYPE = "RSA2"
#: The parameters left out of the canonical string.
UNSIGNED_PARAMETERS = frozenset({"sign", "sign_type"})
RSA_KEY_BITS = 2048


class ProviderKeyError(ValueError):
    """A key file that is missing or is not the kind of PEM key it should be."""


def canonical_string(parameters: Mapping[str, str]) -> str:
    """The string a message's signature covers: its non-empty parameters but ``sign`` and
    ``sign_type``, sorted by name, as ``name=value`` joined by ``&`` (values as they are, not
    URL-encoded)."""
    return "&".join(
        f"{name}={value}"
        for name, value in sorted(parameters.items())
        if name not in UNSIGNED_PARAMETERS and value != ""
    )


def sign_parameters(parameters: Mapping[str, str], *, private_key: rsa.RSAPrivateKey) -> str:
    """The base64 RSA2 signature of ``parameters``' canonical string."""
    signature = private_key.sign(
        canonical_string(parameters).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
    )
    return base64.b64encode(signature).decode("ascii")


def signed(parameters: Mapping[str, str], *, private_key: rsa.RSAPrivateKey) -> dict[str, str]:
    """``parameters`` with ``sign_type`` and their ``sign`` added, ready to send."""
    message = {**parameters, "sign_type": SIGN_TYPE}
    return {**message, "sign": sign_parameters(message, private_key=private_key)}


def signature_is_valid(parameters: Mapping[str, str], *, public_key: rsa.RSAPublicKey) -> bool:
    """Whether ``parameters`` carry ``sign_type`` RSA2 and a ``sign`` that ``public_key``
    verifies over their canonical string."""
    if parameters.get("sign_type") != SIGN_TYPE:
        return False
    try:
        signature = base64.b64decode(parameters.get("sign", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not signature:
        return False
    try:
        public_key.verify(
            signature, canonical_string(parameters).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA private key in the PEM file ``path`` (unencrypted PKCS#8 or PKCS#1)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ProviderKeyError(f"{path}: not a readable RSA private key ({error})") from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ProviderKeyError(f"{path}: not an RSA key")
    return key


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    """The RSA public key in the PEM file ``path`` (SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise ProviderKeyError(f"{path}: not a readable RSA public key ({error})") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise ProviderKeyError(f"{path}: not an RSA key")
    return key


def public_key_pem(private_key: rsa.RSAPrivateKey) -> bytes:
    """The PEM (SubjectPublicKeyInfo) of ``private_key``'s public half."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def ensure_private_key_file(path: Path) -> rsa.RSAPrivateKey:
    """The private key in ``path``, made there first if the file does not exist (readable by its
    owner only), with its public half beside it as ``<name>.pub.pem``.

    Several server processes may get here at once: each writes a temporary file and links it
    into place, which only the first one manages; the others read the winner's key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_once(path, pem, mode=0o600)
    key = load_private_key(path)
    _write_once(public_key_file(path), public_key_pem(key), mode=0o644)
    return key


def public_key_file(private_key_path: Path) -> Path:
    """Where :func:`ensure_private_key_file` keeps the public half of ``private_key_path``."""
    return private_key_path.with_name(private_key_path.name.removesuffix(".pem") + ".pub.pem")


def _write_once(path: Path, content: bytes, *, mode: int) -> None:
    """Write ``content`` to ``path`` unless the file exists, atomically (link, not rename, so a
    file another process placed first is never replaced)."""
    if path.exists():
        return
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        # Another process placed its key first: the winner's key stays.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
