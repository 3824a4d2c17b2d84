"""Live transcript segments as SCRT2 messages, end to end: real SIVO (its outbox, the SCRT2
sink and sender with their JWTs), devorg over HTTPS as Salesforce, read back with the
admin's SOQL. Segments are emitted through SIVO's outbox in a transaction, as live
transcription emits them; the calls are real (telephony shell, aiortc peers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from devorg.testing import RunningDevorg
from server.app import OUTBOX
from server.store import salesforce as org_store
from server.store import scrt2 as scrt2_store
from tests.conftest import AppFactory

from .conftest import connect
from .logging_center import ADMIN, LogCenter, close
from .scrt2_center import advance, scrt2_center, scrt_requests, sent, soql, voice_calls

# The product page orders by MessageSequenceNumber, which no Salesforce object has: the
# sequence field of ConversationEntry is Seq (reference §3.2, §3.3).
ENTRIES = (
    "SELECT Id, Message, ActorType, ActorId FROM ConversationEntry "
    "WHERE Conversation.RelatedRecordId = '{id}' ORDER BY Seq"
)
BULK = "/telephony/v1/voiceCalls/messages"


@pytest.fixture
async def lc(make_client: AppFactory, sf: RunningDevorg) -> AsyncIterator[LogCenter]:
    center = await scrt2_center(make_client, sf, ("bo", "cy"))
    yield center
    await close(center)


def _at(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def segment(
    lc: LogCenter, call_id: str, n: int, start: float, *, agent: str | None = None
) -> dict[str, Any]:
    """The n-th segment of a call, ``start`` its wall-clock start (SIVO's clock)."""
    data: dict[str, Any] = {
        "call_id": call_id,
        "segment_id": f"seg_{call_id[-8:]}_{n:03d}",
        "speaker": "agent" if agent else "caller",
        "text": f"{'agent' if agent else 'caller'} utterance {n} of {call_id}",
        "start_seconds": 1.0 + n,
        "end_seconds": 1.8 + n,
        "started_at": _at(start),
        "ended_at": _at(start + 0.8),
        "confidence": 0.8,
        "is_final": True,
        "language": "en-US",
    }
    if agent:
        data["agent_id"] = agent
    return data


async def emit(lc: LogCenter, segments: Sequence[dict[str, Any]]) -> None:
    """transcript.segment events through SIVO's outbox, in one transaction."""
    outbox = lc.center.client.app[OUTBOX]
    async with lc.center.services.db.transaction() as tx:
        for data in segments:
            await outbox.emit_txn(tx, lc.center.tenant.id, "transcript.segment", data)


async def settings(lc: LogCenter, **values: Any) -> Any:
    return await lc.api("PATCH", f"/api/v1/salesforce/orgs/{lc.row_id}", values)


async def entries(lc: LogCenter, voice_call_id: str) -> list[dict[str, Any]]:
    status, body = await soql(lc, ENTRIES.format(id=voice_call_id))
    assert status == 200, body
    return list(body["records"])


def voice_call_of(lc: LogCenter, call_id: str) -> dict[str, Any]:
    (call,) = [c for c in voice_calls(lc) if c["VendorCallKey"] == call_id]
    return call


async def test_segments_become_the_calls_conversation_in_order(lc: LogCenter) -> None:
    shown = await settings(lc, push_transcripts=True, provider_name="Acme Voice 2.0")
    assert shown["push_transcripts"] is True and shown["provider_name"] == "Acme Voice 2.0"
    call_id, caller, _, _ = await lc.call_in("bo")
    await sent(lc)
    t0 = lc.center.clock.now()
    said = [
        segment(lc, call_id, 1, t0 + 0.1),
        segment(lc, call_id, 2, t0 + 1.0, agent=lc.agents["bo"]),
        segment(lc, call_id, 3, t0 + 2.0),
    ]
    for data in said:  # one at a time, as they are spoken: each its own message
        await emit(lc, [data])
        await sent(lc)
    await lc.center.advance(5)
    await caller.ok("call.hangup", {"call_id": call_id})
    await sent(lc)
    call = voice_call_of(lc, call_id)
    rows = await entries(lc, call["Id"])
    assert [r["Message"] for r in rows] == [d["text"] for d in said]
    assert [r["ActorType"] for r in rows] == ["EndUser", "Agent", "EndUser"]
    assert rows[1]["ActorId"] == lc.users["bo"]  # the agent's Salesforce User Id
    single = f"/telephony/v1/voiceCalls/{call_id}/messages"
    assert [(m, p, s) for m, p, s in scrt_requests(lc) if "messages" in p] == [
        ("POST", single, 200)
    ] * 3
    log = [e for e in lc.sf.devorg.request_log if e["host"] == "scrt"]
    assert log and {e["provider"] for e in log} == {"Acme Voice 2.0"}
    # The final PATCH named the agent by its Salesforce username: devorg set the user.
    assert call["UserId"] == lc.users["bo"] and call["CallDisposition"] == "completed"
    shown_log = await lc.api("GET", f"/api/v1/salesforce/orgs/{lc.row_id}/scrt2/requests")
    kinds = [(r["kind"], r["state"], r["status_code"]) for r in reversed(shown_log["data"])]
    assert kinds == [("create", "sent", 200)] + [("message", "sent", 200)] * 3 + [
        ("end", "sent", 200),
        ("recording", "sent", 200),
    ]


async def test_nothing_is_pushed_when_off_nor_an_unmapped_agents_segment(lc: LogCenter) -> None:
    shown = await lc.api("GET", f"/api/v1/salesforce/orgs/{lc.row_id}")
    assert shown["push_transcripts"] is False and shown["provider_name"] == "calltree"
    call_id, caller, _, _ = await lc.call_in("bo")
    t0 = lc.center.clock.now()
    await emit(lc, [segment(lc, call_id, 1, t0)])
    await sent(lc)
    assert [p for _, p, _ in scrt_requests(lc) if "messages" in p] == []
    await settings(lc, push_transcripts=True)
    agent = await lc.api(
        "POST",
        "/api/v1/agents",
        {"name": "Dee", "email": "dee@elsewhere.test", "extension": "150"},
        status=201,
    )  # an agent who is no user of the org
    broken = {**segment(lc, call_id, 4, t0 + 3), "text": ""}  # dropped, the rest commits
    await emit(
        lc,
        [
            segment(lc, call_id, 2, t0 + 1, agent=agent["id"]),
            segment(lc, call_id, 3, t0 + 2),
            broken,
        ],
    )
    await sent(lc)
    await caller.ok("call.hangup", {"call_id": call_id})
    await sent(lc)
    rows = await entries(lc, voice_call_of(lc, call_id)["Id"])
    assert [(r["Message"], r["ActorType"]) for r in rows] == [
        (f"caller utterance 3 of {call_id}", "EndUser")
    ]
    assert {e["provider"] for e in lc.sf.devorg.request_log if e["host"] == "scrt"} == {"calltree"}


async def test_a_bad_provider_name_is_refused_and_changes_nothing(lc: LogCenter) -> None:
    path = f"/api/v1/salesforce/orgs/{lc.row_id}"
    for bad in ("acme/voice", "", " acme", "x" * 81, "acme\nvoice", 7):
        resp = await lc.center.client.patch(
            path,
            json={"push_transcripts": True, "provider_name": bad},
            headers=lc.center.tenant.headers,
        )
        # Invalid body values are 422 throughout SIVO's API (server/failures.py).
        assert resp.status == 422, (bad, await resp.text())
        error = (await resp.json())["error"]
        assert error["field"] == "provider_name" and error["code"] == "invalid", error
    shown = await lc.api("GET", path)
    assert shown["push_transcripts"] is False and shown["provider_name"] == "calltree"
    assert (await settings(lc, provider_name="x" * 80))["provider_name"] == "x" * 80


async def _ended_call(lc: LogCenter, agent: str) -> tuple[str, float]:
    """An answered call of ``agent``, ended after 10 s; returns it and its answer time."""
    await lc.phones[agent].ok("presence.set", {"status": "available"})
    call_id, caller, _, _ = await lc.call_in(agent)
    t0 = lc.center.clock.now()
    await advance(lc, 10)
    await caller.ok("call.hangup", {"call_id": call_id})
    await caller.close()  # its number is free for the next caller
    await sent(lc)
    return call_id, t0


async def test_a_backlog_goes_as_one_bulk_in_each_calls_order(lc: LogCenter) -> None:
    await settings(lc, push_transcripts=True)
    (a, ta), (b, tb) = await _ended_call(lc, "bo"), await _ended_call(lc, "cy")
    async with lc.center.services.db.transaction() as tx:  # Salesforce refused the refresh
        values = {"status": "needs_reconnect", "status_reason": "revoked", "access_token_enc": None}
        await org_store.update_org_txn(tx, lc.center.tenant.id, lc.row_id, values)
    await advance(lc, 6)  # past the sender's cached view of the org
    before = len(scrt_requests(lc))
    of_a = [segment(lc, a, n, ta + n, agent=lc.agents["bo"] if n % 2 else None) for n in range(4)]
    of_b = [segment(lc, b, n, tb + n) for n in range(3)]
    # Interleaved, as two calls' transcription would emit them; each in its own transaction.
    for data in [of_a[0], of_b[0], of_a[1], of_b[1], of_a[2], of_b[2], of_a[3]]:
        await emit(lc, [data])
    await sent(lc)
    assert scrt_requests(lc)[before:] == []  # parked while the org needs reconnecting
    assert (await connect(lc.sivo, lc.sf, ADMIN)).status == 303
    await sent(lc)
    assert scrt_requests(lc)[before:] == [("POST", BULK, 200)]
    for call_id, said in ((a, of_a), (b, of_b)):
        rows = await entries(lc, voice_call_of(lc, call_id)["Id"])
        assert [r["Message"] for r in rows] == [d["text"] for d in said]
    rows = await entries(lc, voice_call_of(lc, a)["Id"])
    assert [r["ActorType"] for r in rows] == ["EndUser", "Agent", "EndUser", "Agent"]
    log = await lc.api("GET", f"/api/v1/salesforce/orgs/{lc.row_id}/scrt2/requests")
    messages = [r for r in log["data"] if r["kind"] == "message"]
    assert len(messages) == 7
    assert {(r["state"], r["status_code"], r["attempts"]) for r in messages} == {("sent", 200, 1)}
    assert len({r["latency_ms"] for r in messages}) == 1  # one request carried them all


async def test_a_429_and_a_500_on_messages_are_retried_without_duplicates(
    lc: LogCenter,
) -> None:
    await settings(lc, push_transcripts=True)
    call_id, caller, _, _ = await lc.call_in("bo")
    await sent(lc)
    t0 = lc.center.clock.now()
    single = f"/telephony/v1/voiceCalls/{call_id}/messages"
    fault = {"status": 429, "count": 1, "host": "scrt", "retryAfter": 30, "pathPrefix": single}
    await lc.sf.control("POST", "faults", fault)
    first, second = segment(lc, call_id, 1, t0 + 0.5), segment(lc, call_id, 2, t0 + 1.5)
    await emit(lc, [first])
    await sent(lc)
    await emit(lc, [second])  # waits behind the first, in the call's lane
    await sent(lc)
    messages = [(p, s) for _, p, s in scrt_requests(lc) if "messages" in p]
    assert messages == [(single, 429)]
    await advance(lc, 15)  # past the schedule's first 10-11 s, not the Retry-After
    await sent(lc)
    assert len([p for _, p, _ in scrt_requests(lc) if "messages" in p]) == 1
    await lc.sf.control("POST", "faults", {"status": 500, "count": 1, "host": "scrt"})
    await advance(lc, 16)
    await sent(lc)
    for _ in range(2):  # the next retry: 30-33 s later
        await advance(lc, 35)
        await sent(lc)
    messages = [(p, s) for _, p, s in scrt_requests(lc) if "messages" in p]
    # Both due by then: the two go together, the first still first.
    assert messages == [(single, 429), (BULK, 500), (BULK, 200)], messages
    await caller.ok("call.hangup", {"call_id": call_id})
    await sent(lc)
    rows = await entries(lc, voice_call_of(lc, call_id)["Id"])
    assert [r["Message"] for r in rows] == [first["text"], second["text"]]


async def test_a_refused_bulk_falls_back_to_one_by_one(lc: LogCenter) -> None:
    await settings(lc, push_transcripts=True)
    call_id, caller, _, _ = await lc.call_in("bo")
    await sent(lc)
    t0 = lc.center.clock.now()
    await lc.sf.control(
        "POST", "faults", {"status": 400, "count": 1, "host": "scrt", "pathPrefix": BULK}
    )
    said = [segment(lc, call_id, n, t0 + n) for n in range(3)]
    await emit(lc, said)  # committed together: the first finds the other two behind it
    await sent(lc)
    single = f"/telephony/v1/voiceCalls/{call_id}/messages"
    messages = [(p, s) for _, p, s in scrt_requests(lc) if "messages" in p]
    assert messages == [(BULK, 400)] + [(single, 200)] * 3, messages
    await caller.ok("call.hangup", {"call_id": call_id})
    await sent(lc)
    rows = await entries(lc, voice_call_of(lc, call_id)["Id"])
    assert [r["Message"] for r in rows] == [d["text"] for d in said]
    log = await lc.api("GET", f"/api/v1/salesforce/orgs/{lc.row_id}/scrt2/requests")
    assert {r["state"] for r in log["data"] if r["kind"] == "message"} == {"sent"}


async def test_a_message_due_alone_reads_no_backlog(
    lc: LogCenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The org's due requests are read to plan a bulk only when another message is due."""
    reads: list[str] = []
    real = scrt2_store.org_due_requests

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(str(args[2]))
        return await real(*args, **kwargs)

    monkeypatch.setattr(scrt2_store, "org_due_requests", counted)
    await settings(lc, push_transcripts=True)
    call_id, caller, _, _ = await lc.call_in("bo")
    await sent(lc)
    t0 = lc.center.clock.now()
    for n in (1, 2):  # one at a time: each due alone
        await emit(lc, [segment(lc, call_id, n, t0 + n)])
        await sent(lc)
    assert reads == []
    await emit(lc, [segment(lc, call_id, n, t0 + n) for n in (3, 4)])  # due together
    await sent(lc)
    assert reads == [lc.row_id]
    single = f"/telephony/v1/voiceCalls/{call_id}/messages"
    messages = [(p, s) for _, p, s in scrt_requests(lc) if "messages" in p]
    assert messages == [(single, 200), (single, 200), (BULK, 200)]
    await caller.ok("call.hangup", {"call_id": call_id})
    await sent(lc)
    rows = await entries(lc, voice_call_of(lc, call_id)["Id"])
    assert len(rows) == 4
