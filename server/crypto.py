"""Secrets at rest and credential hashing.

Webhook secrets must be readable again (to sign), so they are encrypted with AES-256-GCM
under the master key. API keys and session tokens are high-entropy random strings, so a
SHA-256 digest is enough to store them; passwords are low-entropy and get argon2id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretBox:
    """AES-256-GCM; the associated data binds a ciphertext to the row it belongs to."""

    _VERSION = b"\x01"

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("master key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(self._VERSION + nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        raw = base64.b64decode(token)
        if raw[:1] != self._VERSION:
            raise ValueError("unknown secret format")
        return self._aead.decrypt(raw[1:13], raw[13:], context.encode()).decode()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def digests_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" profile


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
