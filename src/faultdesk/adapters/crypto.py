"""Secrets at rest: reporter contacts (Fernet) and keyed hashes, all derived from one key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"faultdesk", info=purpose).derive(secret_key.encode())


class Vault:
    """Encrypts confidential fields; one instance per process (key derivation is not free)."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"contact-encryption")))
        self._hash_key = _derive(secret_key, b"keyed-hash")

    def encrypt(self, plain: str) -> bytes:
        return self._fernet.encrypt(plain.encode())

    def decrypt(self, cipher: bytes) -> str:
        try:
            return self._fernet.decrypt(cipher).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt: wrong secret key or tampered value") from exc

    def keyed_hash(self, value: str) -> str:
        """Stable pseudonym of a value (e.g. a contact) that cannot be reversed without the key."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def digest(self, token: str) -> str:
        return token_digest(token)

    def new_token(self, prefix: str = "") -> str:
        return new_token(prefix)


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def new_token(prefix: str = "") -> str:
    """A bearer or tracking token: 192 random bits."""
    return prefix + secrets.token_urlsafe(24)


def token_digest(token: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()
