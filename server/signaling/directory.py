"""``directory.list`` on ``/agent``: whom a softphone can transfer or consult to.

The tenant's agents (name, extension, presence) and queues (name, calls waiting), read from
the tenant shell's in-memory state: no database query, so a softphone may ask whenever its
picker opens and filter as the agent types (docs/signaling.md, "Directory").

Every agent of the tenant is listed: the shell's roster (server/telephony/roster.py) is read
from the database the first time a tenant's directory or wallboard is asked for, and kept
by the admin's notices after that; an agent who has not signed in since SIVO started is
logged out (and cannot take a transfer). Only the asking agent's tenant is read: the shell
is chosen by the token's tenant, never by the payload.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from server.telephony.presence import State
from server.telephony.state import AgentProfile, TenantState
from server.telephony.switchboard import Switchboard


def listing(
    state: TenantState, agent_id: str, roster: Mapping[str, AgentProfile] | None = None
) -> dict[str, Any]:
    """The directory as one agent sees it (pure: reads ``state``, changes nothing).

    Args:
        state: the tenant's call book state.
        agent_id: the asking agent, marked ``self`` (a softphone leaves it out of its picker).
        roster: every agent of the tenant: one without a session is logged out, a session
            whose agent is not in it (deleted) is left out. None: the sessions only.

    Returns:
        ``{"agents": [...], "queues": [...]}``, agents by name, queues by name.
    """
    engaged = state.engaged()
    agents = [
        {
            "agent_id": s.agent_id,
            "name": s.name,
            "extension": s.extension,
            "status": s.presence.state.value,
            "reason": s.presence.reason if s.presence.state is State.ON_BREAK else None,
            "connected": s.sid is not None,
            # What a transfer or consult needs: signed in, Available, not engaged.
            "can_take": state.can_ring(s, engaged),
            "self": s.agent_id == agent_id,
        }
        for s in state.agents.values()
        if roster is None or s.agent_id in roster
    ]
    if roster is not None:
        agents.extend(
            {
                "agent_id": p.agent_id,
                "name": p.name,
                "extension": p.extension,
                "status": State.LOGGED_OUT.value,
                "reason": None,
                "connected": False,
                "can_take": False,
                "self": p.agent_id == agent_id,
            }
            for p in roster.values()
            if p.agent_id not in state.agents
        )
    waiting = Counter(
        w.policy.id for w in (state.acd.get(call_id) for call_id in state.calls) if w is not None
    )
    queues = [
        {
            "queue_id": q.id,
            "name": q.name,
            "waiting": waiting.get(q.id, 0),
            "wrap_up_s": q.wrap_up_s,
        }
        for q in state.queues.values()
    ]
    agents.sort(key=lambda a: (str(a["name"]).casefold(), a["agent_id"]))
    queues.sort(key=lambda q: (str(q["name"]).casefold(), q["queue_id"]))
    return {"agents": agents, "queues": queues}


async def list_directory(sb: Switchboard, tenant_id: str, agent_id: str) -> dict[str, Any]:
    """``directory.list``: the asking agent's tenant's directory (the roster is read once
    per tenant, then kept in memory)."""
    shell = sb.shell(tenant_id)
    roster = await shell.roster.agents()
    return listing(shell.state, agent_id, roster)
