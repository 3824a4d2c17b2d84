"""Signatures: the documented Node.js snippet, Standard Webhooks' own library, fixed vectors."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from server.webhooks import signing

NODE = shutil.which("node")


def test_sivo_signature_matches_githubs_published_vector() -> None:
    """HMAC-SHA256 hex of the raw body, as GitHub documents with its test vector."""
    sig = signing.sivo_signature("It's a Secret to Everybody", b"Hello, World!")
    assert sig == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_standard_webhooks_library_verifies_our_headers() -> None:
    secret = signing.new_secret()
    body = b'{"id":"evt_1","type":"call.created","data":{}}'
    headers = signing.signature_headers(
        secret=secret,
        previous_secret=None,
        event_id="evt_1",
        event_type="call.created",
        timestamp=1_900_000_000,
        body=body,
    )
    hook = Webhook(secret)
    with pytest.raises(WebhookVerificationError):  # the library rejects a stale timestamp
        hook.verify(body, headers)
    import time

    headers = signing.signature_headers(
        secret=secret,
        previous_secret=None,
        event_id="evt_1",
        event_type="call.created",
        timestamp=int(time.time()),
        body=body,
    )
    assert hook.verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        hook.verify(body + b" ", headers)


def test_rotation_sends_both_signatures() -> None:
    import time

    old, new = signing.new_secret(), signing.new_secret()
    body = b"{}"
    headers = signing.signature_headers(
        secret=new,
        previous_secret=old,
        event_id="evt_2",
        event_type="call.ended",
        timestamp=int(time.time()),
        body=body,
    )
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    assert headers["X-Sivo-Signature"] == signing.sivo_signature(new, body)
    assert headers["X-Sivo-Signature-Previous"] == signing.sivo_signature(old, body)


# The product documentation's snippet as published: createHmac over rawBody, then
# timingSafeEqual against the header (our header always has the expected length).
NODE_VERIFIER = textwrap.dedent(
    """
    const crypto = require('crypto');
    const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const WEBHOOK_SECRET = input.secret;
    const req = { headers: input.headers, rawBody: Buffer.from(input.body_b64, 'base64') };
    const signature = req.headers['x-sivo-signature'];
    const expected = 'sha256=' + crypto
      .createHmac('sha256', WEBHOOK_SECRET)
      .update(req.rawBody)
      .digest('hex');
    if (!crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
      console.log('invalid signature'); process.exit(1);
    }
    console.log('ok');
    """
)


def _node_verify(
    secret: str, headers: dict[str, str], body: bytes
) -> subprocess.CompletedProcess[str]:
    import base64

    assert NODE is not None, "node is required (CI installs it)"
    payload = json.dumps(
        {
            "secret": secret,
            "headers": {k.lower(): v for k, v in headers.items()},
            "body_b64": base64.b64encode(body).decode(),
        }
    )
    return subprocess.run(
        [NODE, "-e", NODE_VERIFIER], input=payload, capture_output=True, text=True, timeout=30
    )


def test_documented_node_snippet_accepts_our_signature_and_rejects_tampering() -> None:
    secret = signing.new_secret()
    body = json.dumps({"id": "evt_3", "data": {"text": "héllo ✓"}}, ensure_ascii=False).encode()
    headers = signing.signature_headers(
        secret=secret,
        previous_secret=None,
        event_id="evt_3",
        event_type="call.ended",
        timestamp=1,
        body=body,
    )
    ok = _node_verify(secret, headers, body)
    assert ok.returncode == 0 and ok.stdout.strip() == "ok", ok.stderr
    bad = _node_verify(secret, headers, body.replace(b"h", b"H", 1))
    assert bad.returncode == 1 and "invalid signature" in bad.stdout


def test_the_python_snippet_in_the_docs_verifies() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "webhooks.md").read_text()
    code = doc.split("### Verify in Python\n\n```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(code, namespace)  # the documented code, as a customer would paste it
    verify = namespace["verify"]
    secret, body = signing.new_secret(), b'{"id":"evt_9"}'
    header = signing.sivo_signature(secret, body)
    assert verify(secret, body, header) is True  # type: ignore[operator]
    assert verify(secret, body + b" ", header) is False  # type: ignore[operator]
