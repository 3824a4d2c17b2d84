"""``directory.list``: a softphone's picker of agents (with presence) and queues (with depth),
from the tenant's in-memory state, never another tenant's, without a database query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event

from tests.support.api import new_tenant

from .conftest import Center, dial


async def test_lists_the_tenants_agents_with_presence_and_queues_with_depth(
    center: Center,
) -> None:
    """Agents by name with status, reason and whether they can take a call; queues with the
    calls waiting; the asker marked; nothing of another tenant."""
    sales = await center.api(
        "POST", "/api/v1/queues", {"name": "Sales", "wrap_up_s": 0}, status=201
    )
    ann, ann_id = await center.agent("Ann", available=False)
    bob, bob_id = await center.agent("Bob", available=False)
    await bob.ok("presence.set", {"status": "on_break", "reason": "lunch"})
    other = await new_tenant(center.client)
    hidden_q = await center.api("POST", "/api/v1/queues", {"name": "Q"}, status=201, tenant=other)
    _mallory, _ = await center.agent("Mallory", queues=[hidden_q["id"]], tenant=other)

    caller = await center.web_phone()
    await dial(center, caller, None)  # nobody is Available: it waits in Support

    reply = await ann.ok("directory.list", {})
    by_name = {a["name"]: a for a in reply["agents"]}
    assert [a["name"] for a in reply["agents"]] == ["Ann", "Bob"]
    assert by_name["Ann"] | {"extension": "x"} == {
        "agent_id": ann_id,
        "name": "Ann",
        "extension": "x",
        "status": "logged_out",
        "reason": None,
        "connected": True,
        "can_take": False,
        "self": True,
    }
    assert by_name["Bob"]["agent_id"] == bob_id
    assert (by_name["Bob"]["status"], by_name["Bob"]["reason"]) == ("on_break", "lunch")
    assert by_name["Bob"]["extension"] and not by_name["Bob"]["self"]
    assert reply["queues"] == [
        {"queue_id": sales["id"], "name": "Sales", "waiting": 0, "wrap_up_s": 0.0},
        {"queue_id": center.queue_id, "name": "Support", "waiting": 1, "wrap_up_s": 30.0},
    ]

    # Bob comes back: he can take a transfer now (the waiting call rings him first).
    await bob.ok("presence.set", {"status": "available"})
    await bob.wait_for("call.ringing")
    bob_now = next(a for a in (await ann.ok("directory.list"))["agents"] if a["name"] == "Bob")
    assert bob_now["status"] == "available" and not bob_now["can_take"]  # he is being rung


async def test_another_tenants_agent_sees_only_its_own(center: Center) -> None:
    """The shell is the token's tenant's: an agent of another tenant sees its own people."""
    await center.agent("Ann")
    other = await new_tenant(center.client)
    queue = await center.api("POST", "/api/v1/queues", {"name": "Q"}, status=201, tenant=other)
    mallory, mallory_id = await center.agent("Mallory", queues=[queue["id"]], tenant=other)
    reply = await mallory.ok("directory.list", {})
    assert [(a["agent_id"], a["self"], a["can_take"]) for a in reply["agents"]] == [
        (mallory_id, True, True)
    ]
    assert [q["queue_id"] for q in reply["queues"]] == [queue["id"]]


async def test_reads_no_database_and_refuses_unknown_fields(center: Center) -> None:
    """Asking is free for the database (a picker may ask on every open): the tenant's first
    ask reads its roster once, no later one reads anything; the payload is {}."""
    ann, _ = await center.agent("Ann")
    await center.agent("Bob")
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = center.services.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        for ask in range(5):
            reply = await ann.ok("directory.list", {})
            assert len(reply["agents"]) == 2
            if ask == 0:
                reads = [s for s in statements if s.startswith("SELECT")]
                assert len(reads) == 1 and "FROM agents" in reads[0], reads
                statements.clear()
    finally:
        sa_event.remove(engine, "before_cursor_execute", seen)
    assert statements == []

    refused = await ann.call("directory.list", {"query": "bo"})
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_message"


async def test_lists_agents_who_never_signed_in_and_follows_the_admins_changes(
    center: Center,
) -> None:
    """Agents created through the API who never connect are listed logged out (they cannot
    take a transfer); one created, renamed or deleted after the first ask shows the change
    at the next; another tenant's never shows."""
    ann, ann_id = await center.agent("Ann")

    async def create(name: str, ext: str, tenant: Any = None) -> str:
        body = {"name": name, "email": f"{name}@x.example", "extension": ext, "queue_ids": []}
        return str(
            (await center.api("POST", "/api/v1/agents", body, status=201, tenant=tenant))["id"]
        )

    dee = await create("Dee", "301")
    other = await new_tenant(center.client)
    await create("Zed", "302", tenant=other)

    reply = await ann.ok("directory.list", {})
    assert [a["name"] for a in reply["agents"]] == ["Ann", "Dee"]
    assert reply["agents"][1] == {
        "agent_id": dee,
        "name": "Dee",
        "extension": "301",
        "status": "logged_out",
        "reason": None,
        "connected": False,
        "can_take": False,
        "self": False,
    }

    bea = await create("Bea", "303")
    await center.api("PATCH", f"/api/v1/agents/{dee}", {"name": "Dee Dee", "extension": "309"})
    reply = await ann.ok("directory.list", {})
    assert [(a["agent_id"], a["name"], a["extension"]) for a in reply["agents"]] == [
        (ann_id, "Ann", reply["agents"][0]["extension"]),
        (bea, "Bea", "303"),
        (dee, "Dee Dee", "309"),
    ]

    await center.api("DELETE", f"/api/v1/agents/{dee}", status=204)
    reply = await ann.ok("directory.list", {})
    assert [a["agent_id"] for a in reply["agents"]] == [ann_id, bea]
