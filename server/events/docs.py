"""Renders ``docs/events.md`` from the catalog: ``python -m server.events.docs > docs/events.md``.

A test compares the file with this output, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import json

from .catalog import CATALOG
from .outbox import MAX_BODY_BYTES

HEADER = f"""# Event catalog

Every event SIVO emits, in one envelope:

```json
{{"id": "evt_…", "type": "call.ended", "created_at": "2026-11-21T09:05:11.400Z",
 "tenant_id": "tn_…", "data": {{ … }}}}
```

- `id` is unique, never changes across retries, and equals the `X-Sivo-Event-Id` and
  `webhook-id` headers: use it to discard duplicates.
- `created_at` is RFC 3339 in UTC, with milliseconds.
- `data` follows the type's JSON Schema, served at `GET /api/v1/events/schema`. Receivers must
  ignore fields they do not know: new fields may be added without a new type.
- Reduced form: a body over {MAX_BODY_BYTES // 1024} KB is never cut. Its `data` keeps the
  routing fields (`call_id`, `agent_id`, `queue_id`, `recording_id`, `transcript_id` where
  present) and adds `"truncated": true`, `original_size` (bytes) and `full_data_url`, which
  returns the whole
  envelope to a request with the tenant's API key (`GET /api/v1/events/{{id}}`).

Agent statuses are `available`, `on_call`, `on_break`, `after_call_work` and `logged_out`.
"""


def render_markdown() -> str:
    parts = [HEADER]
    for name, entry in CATALOG.items():
        schema = entry["schema"]
        required = ", ".join(f"`{f}`" for f in schema["required"])
        parts.append(f"\n## `{name}`\n\n{entry['description']}\n\nRequired fields: {required}.\n")
        parts.append("\n```json\n" + json.dumps(entry["example"], indent=2) + "\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render_markdown(), end="")
