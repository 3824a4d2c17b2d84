"""Webhook signatures: pure functions over the exact bytes sent.

Two schemes ride on every request:

* ``X-Sivo-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body, keyed with the endpoint
  secret string exactly as shown to the customer (``whsec_...``), which is what the Node.js
  snippet in the product documentation computes with ``createHmac('sha256', WEBHOOK_SECRET)``.
* Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``): ``v1,``
  + base64 HMAC-SHA256 over ``{id}.{timestamp}.{body}``, keyed with the base64-decoded part
  after ``whsec_``, as the spec and its reference libraries do. During a secret rotation the
  header carries one ``v1`` signature per valid secret, space-separated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    # 32 random bytes: inside the 24-64 byte range the Standard Webhooks spec asks for.
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sivo_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _standard_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def standard_signature(secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1,"
        + base64.b64encode(hmac.new(_standard_key(s), signed, hashlib.sha256).digest()).decode()
        for s in secrets_
    )


def signature_headers(
    *,
    secret: str,
    previous_secret: str | None,
    event_id: str,
    event_type: str,
    timestamp: int,
    body: bytes,
) -> dict[str, str]:
    """All headers of one attempt; re-computed per attempt since the timestamp changes."""
    valid = [secret] if previous_secret is None else [secret, previous_secret]
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SIVO-Webhooks/1",
        "X-Sivo-Event-Id": event_id,
        "X-Sivo-Event-Type": event_type,
        "X-Sivo-Signature": sivo_signature(secret, body),
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(valid, event_id, timestamp, body),
    }
    if previous_secret is not None:
        headers["X-Sivo-Signature-Previous"] = sivo_signature(previous_secret, body)
    return headers
