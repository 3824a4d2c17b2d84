"""The catalog: examples conform to their schemas, and docs/events.md is generated from it."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from server.events.catalog import CATALOG, ENVELOPE_SCHEMA, REDUCED_DATA_SCHEMA
from server.events.docs import render_markdown
from server.events.outbox import render_body

DOCS = Path(__file__).resolve().parents[1] / "docs" / "events.md"


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_example_conforms_to_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(CATALOG[name]["schema"])
    jsonschema.validate(CATALOG[name]["example"], CATALOG[name]["schema"])


def test_schemas_reject_a_missing_required_field() -> None:
    example = dict(CATALOG["call.ended"]["example"])
    del example["hangup_cause"]
    with pytest.raises(jsonschema.ValidationError, match="hangup_cause"):
        jsonschema.validate(example, CATALOG["call.ended"]["schema"])


def test_envelope_and_reduced_form_conform() -> None:
    import json

    small = json.loads(
        render_body(
            event_id="evt_01",
            type="call.created",
            created_at=0,
            tenant_id="tn_1",
            data_json=json.dumps(CATALOG["call.created"]["example"]),
            public_url="https://s",
        )
    )
    jsonschema.validate(small, ENVELOPE_SCHEMA)
    big = json.loads(
        render_body(
            event_id="evt_02",
            type="transcript.completed",
            created_at=0,
            tenant_id="tn_1",
            data_json=json.dumps({"call_id": "c1", "segments": ["x" * 300_000]}),
            public_url="https://s",
        )
    )
    jsonschema.validate(big, ENVELOPE_SCHEMA)
    jsonschema.validate(big["data"], REDUCED_DATA_SCHEMA)
    assert big["data"]["call_id"] == "c1"


def test_docs_are_generated_from_the_catalog() -> None:
    assert DOCS.read_text() == render_markdown(), (
        "run: python -m server.events.docs > docs/events.md"
    )
