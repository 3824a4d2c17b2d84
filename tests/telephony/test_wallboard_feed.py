"""The live wallboard end to end: supervisors on ``/supervisor`` watch a real call.

A real SIVO on 127.0.0.1 (``center``: FakeClock, so the wallboard ticks when the test
advances it), Socket.IO clients, aiortc peers on loopback. Every SQL statement is seen
through the engine's event hook, with the task that ran it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import socketio
from sqlalchemy import event

from server.signaling.supervisor import SUPERVISORS
from server.store.tables import calls
from tests.support.api import Tenant, new_tenant
from tests.telephony.conftest import Center, Phone, answer, dial

PASSWORD = "correct horse battery"
UPDATE = "wallboard.update"


@contextmanager
def statements(center: Center) -> Iterator[list[tuple[str, str]]]:
    """(statement, the coroutine of the task that ran it) for every SQL statement."""
    seen: list[tuple[str, str]] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        task = asyncio.current_task()
        seen.append((statement, task.get_coro().__qualname__ if task is not None else "-"))

    engine = center.services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def session_token(center: Center, tenant: Tenant, email: str) -> str:
    identity = center.services.identity
    await identity.create_admin(tenant.id, email, PASSWORD)
    result = await identity.login(email, PASSWORD, "127.0.0.1")
    assert result is not None
    return result[0]


async def supervisor(
    center: Center, token: str | None, *, origin: str | None = "", name: str = "sup"
) -> Phone:
    """A Socket.IO client on /supervisor with the dashboard's cookie and an Origin."""
    phone = Phone(name)
    center.phones.append(phone)
    phone.namespace = "/supervisor"
    headers = {}
    if token is not None:
        headers["Cookie"] = f"sivo_session={token}"
    if origin is not None:
        headers["Origin"] = origin or center.url
    try:
        await phone.sio.connect(
            center.url,
            namespaces=["/supervisor"],
            transports=["websocket"],
            headers=headers,
            wait_timeout=5,
        )
    except socketio.exceptions.ConnectionError:
        http = phone.sio.eio.http  # a refused client keeps its HTTP session open
        if http is not None and not http.closed:
            await http.close()
        raise
    return phone


def updates(phone: Phone) -> list[dict[str, Any]]:
    return phone.events(UPDATE)


async def tick(center: Center) -> None:
    """One wallboard interval, and the push it made delivered."""
    await center.advance(center.client.app[SUPERVISORS].feed.interval_s)
    await asyncio.sleep(0.05)


def agent_state(message: dict[str, Any], agent_id: str) -> str:
    return next(str(a["state"]) for a in message["agents"] if a["id"] == agent_id)


async def test_two_supervisors_watch_a_call_without_a_query_per_update(center: Center) -> None:
    """Both supervisors see the call ring, get answered and end (agent state, queue depth,
    the call's parties, the service level); the database is read once for the tenant's
    window of waits (and its config), and never while an update is computed or pushed."""
    agent, agent_id = await center.agent("ann")
    token_1 = await session_token(center, center.tenant, "one@acme.example")
    token_2 = await session_token(center, center.tenant, "two@acme.example")
    feed = center.client.app[SUPERVISORS].feed
    with statements(center) as seen:
        one = await supervisor(center, token_1, name="one")
        two = await supervisor(center, token_2, name="two")
        for sup in (one, two):
            first = await sup.wait_for(UPDATE)
            assert agent_state(first, agent_id) == "available"
            assert first["queues"][0]["waiting"] == 0 and first["calls"] == []
            assert first["threshold_s"] == 20.0
        seeds = [s for s, _ in seen if "queued_at IS NOT NULL" in s]
        assert len(seeds) == 1, seeds  # one read for the tenant, not one per viewer
        seen.clear()

        caller = await center.web_phone()
        call_id, _ = await dial(center, caller, 440)
        await agent.wait_for("call.ringing")
        await tick(center)
        for sup in (one, two):
            ringing = await sup.wait_for(UPDATE, lambda m: bool(m["calls"]))
            assert agent_state(ringing, agent_id) == "ringing"
            assert ringing["queues"][0]["waiting"] == 1
            assert ringing["queues"][0]["longest_wait_since"] is not None
            (call,) = ringing["calls"]
            assert call["id"] == call_id and call["agents"] == [{"id": agent_id, "name": "ann"}]

        await answer(agent, call_id, 880)
        await tick(center)
        for sup in (one, two):
            up = await sup.wait_for(UPDATE, lambda m: agent_state(m, agent_id) == "on_call")
            assert up["calls"][0]["state"] == "connected" and up["queues"][0]["waiting"] == 0
            assert up["queues"][0]["service_level"]["answered_within"] == 1

        center.clock.advance(5)
        await agent.ok("call.hangup", {"call_id": call_id})
        await tick(center)
        for sup in (one, two):
            done = await sup.wait_for(
                UPDATE, lambda m: agent_state(m, agent_id) == "after_call_work"
            )
            assert done["calls"] == []
            assert done["totals"]["service_level"] == {
                "answered": 1,
                "answered_within": 1,
                "abandoned": 0,
                "percent": 100.0,
            }
        for _ in range(4):  # nothing changes: no push
            await tick(center)
        pushes = feed.pushes(center.tenant.id)
        assert pushes >= 3
        assert len(updates(one)) == len(updates(two)) == 1 + pushes
        in_updates = [s for s, coro in seen if coro == "WallboardFeed._tick"]
        assert in_updates == []
        assert not [s for s, _ in seen if "queued_at IS NOT NULL" in s]


async def test_a_tenants_supervisor_never_sees_another_tenants_agents_or_calls(
    center: Center,
) -> None:
    """Tenant B's supervisor gets B's board only, while A's agent takes a call."""
    other = await new_tenant(center.client, "Other")
    queue_b = await center.api(
        "POST", "/api/v1/queues", {"name": "Sales"}, status=201, tenant=other
    )
    _, agent_b = await center.agent("bea", queues=[queue_b["id"]], tenant=other)
    agent, agent_a = await center.agent("ann")
    sup_a = await supervisor(center, await session_token(center, center.tenant, "a@acme.example"))
    sup_b = await supervisor(center, await session_token(center, other, "b@other.example"))
    await sup_a.wait_for(UPDATE)
    await sup_b.wait_for(UPDATE)

    caller = await center.web_phone()
    call_id, _ = await dial(center, caller, 440)
    await agent.wait_for("call.ringing")
    await tick(center)
    await sup_a.wait_for(UPDATE, lambda m: bool(m["calls"]))
    await answer(agent, call_id, 880)
    await tick(center)
    await sup_a.wait_for(UPDATE, lambda m: agent_state(m, agent_a) == "on_call")

    for message in updates(sup_b):
        assert [a["id"] for a in message["agents"]] == [agent_b]
        assert [q["id"] for q in message["queues"]] == [queue_b["id"]]
        assert message["calls"] == [] and message["totals"]["waiting"] == 0
    assert call_id not in str(updates(sup_b)) and agent_a not in str(updates(sup_b))
    await agent.ok("call.hangup", {"call_id": call_id})


@pytest.mark.parametrize(
    ("token", "origin"),
    [
        (None, ""),  # no dashboard session
        ("not-a-session", ""),  # a cookie that names no session
        ("valid", "http://evil.example"),  # another site's page
        ("valid", None),  # no Origin at all (not a browser on the dashboard)
    ],
)
async def test_a_connection_without_a_session_or_from_another_origin_is_refused(
    center: Center, token: str | None, origin: str | None
) -> None:
    if token == "valid":
        token = await session_token(center, center.tenant, "ops@acme.example")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await supervisor(center, token, origin=origin)
    assert center.client.app[SUPERVISORS].viewers() == 0


async def test_the_threshold_is_a_telephony_setting(center: Center) -> None:
    """``service_level_threshold_s``: 20 s until set, bounded, and the board uses it."""
    settings = await center.api("GET", "/api/v1/telephony/settings")
    assert settings["service_level_threshold_s"] == 20.0
    await center.api(
        "PUT", "/api/v1/telephony/settings", {"service_level_threshold_s": 0}, status=422
    )
    updated = await center.api(
        "PUT", "/api/v1/telephony/settings", {"service_level_threshold_s": 45}
    )
    assert updated["service_level_threshold_s"] == 45.0
    sup = await supervisor(center, await session_token(center, center.tenant, "t@acme.example"))
    assert (await sup.wait_for(UPDATE))["threshold_s"] == 45.0


async def test_many_changes_in_one_interval_are_one_push(center: Center) -> None:
    """An agent pauses, comes back and pauses again within one interval: one push, with
    the last state; then nothing changes and nothing is pushed."""
    agent, agent_id = await center.agent("ann")
    sup = await supervisor(center, await session_token(center, center.tenant, "p@acme.example"))
    await sup.wait_for(UPDATE)
    feed = center.client.app[SUPERVISORS].feed
    await agent.ok("presence.set", {"status": "on_break", "reason": "lunch"})
    await agent.ok("presence.set", {"status": "available"})
    await agent.ok("presence.set", {"status": "on_break", "reason": "break"})
    await tick(center)
    last = await sup.wait_for(UPDATE, lambda m: agent_state(m, agent_id) == "on_break")
    assert last["agents"][0]["reason"] == "break"
    assert feed.pushes(center.tenant.id) == 1
    for _ in range(3):
        await tick(center)
    assert feed.pushes(center.tenant.id) == 1 and len(updates(sup)) == 2


async def test_a_supervisor_who_logs_out_is_disconnected(center: Center) -> None:
    """The session is checked again every minute: after a logout the socket is closed,
    while another supervisor's stays up."""
    token = await session_token(center, center.tenant, "out@acme.example")
    leaving = await supervisor(center, token, name="leaving")
    staying = await supervisor(
        center, await session_token(center, center.tenant, "in@acme.example"), name="staying"
    )
    await leaving.wait_for(UPDATE)
    await center.services.identity.logout(token)
    await center.advance(60)
    await center.until(lambda: not leaving.sio.connected)
    assert staying.sio.connected
    assert center.client.app[SUPERVISORS].viewers() == 1


async def test_the_first_viewer_seeds_the_service_level_from_the_calls_table(
    center: Center,
) -> None:
    """Calls that ended before anyone watched count, if their wait ended in the last hour:
    answered in 5 s (in), in 45 s (out), abandoned; not a call of two hours ago, an
    outbound call or another tenant's."""
    now = center.clock.now()
    other = await new_tenant(center.client, "Other")

    def row(call_id: str, queued: float, answered: float | None, **values: Any) -> dict[str, Any]:
        ended = (answered or queued) + 30
        return {
            "id": call_id, "tenant_id": center.tenant.id, "direction": "inbound",
            "from_number": "+14155550100", "to_number": "+18005550100",
            "queue_id": center.queue_id, "agent_id": None, "state": "ended",
            "created_at": queued, "queued_at": queued, "answered_at": answered,
            "ended_at": ended, "transfers": "[]", **values,
        }  # fmt: skip

    rows = [
        row("call_in", now - 600, now - 595),
        row("call_late", now - 500, now - 455),
        row("call_gone", now - 400, None),
        row("call_old", now - 7200, now - 7190),
        row("call_out", now - 300, now - 290, direction="outbound", queue_id=None),
        row("call_other", now - 200, now - 150, tenant_id=other.id),
    ]
    async with center.services.db.transaction() as tx:
        await tx.conn.execute(calls.insert(), rows)
    sup = await supervisor(center, await session_token(center, center.tenant, "s@acme.example"))
    first = await sup.wait_for(UPDATE)
    assert first["totals"]["service_level"] == {
        "answered": 2,
        "answered_within": 1,
        "abandoned": 1,
        "percent": 33.3,
    }
    assert first["queues"][0]["service_level"]["answered"] == 2


async def test_the_board_lists_the_whole_roster_and_follows_the_admins_changes(
    center: Center,
) -> None:
    """Agents created through the API who never connect are on the board, logged out with
    their queues, before and after the first viewer; an edit renames one, a deletion takes
    one off (the next update, no query while an update is computed); another tenant's agent
    never shows."""
    sales = await center.api("POST", "/api/v1/queues", {"name": "Sales"}, status=201)

    async def create(name: str, ext: str, queue_ids: list[str]) -> str:
        body = {"name": name, "email": f"{name}@acme.example", "extension": ext}
        made = await center.api(
            "POST", "/api/v1/agents", body | {"queue_ids": queue_ids}, status=201
        )
        return str(made["id"])

    dee = await create("Dee", "301", [center.queue_id, sales["id"]])
    other = await new_tenant(center.client, "Other")
    await center.api(
        "POST",
        "/api/v1/agents",
        {"name": "Zed", "email": "zed@other.example", "extension": "301", "queue_ids": []},
        status=201,
        tenant=other,
    )
    _, ann = await center.agent("ann")
    sup = await supervisor(center, await session_token(center, center.tenant, "r@acme.example"))
    first = await sup.wait_for(UPDATE)
    by_id = {a["id"]: a for a in first["agents"]}
    assert set(by_id) == {ann, dee}
    assert by_id[dee] | {"since": 0} == {
        "id": dee,
        "name": "Dee",
        "extension": "301",
        "state": "logged_out",
        "reason": None,
        "connected": False,
        "queue_ids": sorted([center.queue_id, sales["id"]]),
        "since": 0,
        "wrap_up_ends_at": None,
    }
    assert first["totals"]["agents"]["logged_out"] == 1
    assert first["totals"]["agents"]["available"] == 1
    support = next(q for q in first["queues"] if q["id"] == center.queue_id)
    assert support["agents_signed_in"] == 1  # Ann; Dee is not signed in

    with statements(center) as seen:
        eve = await create("Eve", "302", [sales["id"]])  # while watched
        await tick(center)
        added = await sup.wait_for(UPDATE, lambda m: eve in str(m["agents"]))
        assert agent_state(added, eve) == "logged_out"

        await center.api("PATCH", f"/api/v1/agents/{dee}", {"name": "Dee Dee"})
        await tick(center)
        renamed = await sup.wait_for(UPDATE, lambda m: "Dee Dee" in str(m["agents"]))
        assert next(a["name"] for a in renamed["agents"] if a["id"] == dee) == "Dee Dee"

        await center.api("DELETE", f"/api/v1/agents/{dee}", status=204)
        await center.api("DELETE", f"/api/v1/agents/{ann}", status=204)  # signed in: goes too
        await tick(center)
        gone = await sup.wait_for(UPDATE, lambda m: dee not in str(m["agents"]))
        assert [a["id"] for a in gone["agents"]] == [eve]
        assert gone["totals"]["agents"]["logged_out"] == 1
    assert [s for s, coro in seen if coro == "WallboardFeed._tick"] == []
    for message in updates(sup):
        assert "Zed" not in str(message["agents"])
