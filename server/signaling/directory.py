"""``directory.list`` on ``/agent``: whom a softphone can transfer or consult to.

The tenant's agents (name, extension, presence) and queues (name, calls waiting), read from
the tenant shell's in-memory state: no database query, so a softphone may ask whenever its
picker opens and filter as the agent types (docs/signaling.md, "Directory").

An agent appears once it has signed in since SIVO started (the book knows of no other; one
that never did is logged out, and could not take a transfer anyway). Only the asking agent's
tenant is read: the shell is chosen by the token's tenant, never by the payload.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from server.telephony.presence import State
from server.telephony.state import TenantState
from server.telephony.switchboard import Switchboard


def listing(state: TenantState, agent_id: str) -> dict[str, Any]:
    """The directory as one agent sees it (pure: reads ``state``, changes nothing).

    Args:
        state: the tenant's call book state.
        agent_id: the asking agent, marked ``self`` (a softphone leaves it out of its picker).

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
    ]
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
    """``directory.list``: the asking agent's tenant's directory."""
    return listing(sb.shell(tenant_id).state, agent_id)
