"""Salesforce users of a connected org, and the SIVO agents they sign in as.

Import reads every active standard user (to the last page), matches agents by email
(case-insensitive), and keeps what an admin linked before. A user who left the active set
since the last import is kept and flagged inactive: the mapping says so, and the console
sign-in refuses it. Import is idempotent. The matching itself is pure (``match_users``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from pydantic import ValidationError

from server.clock import Clock
from server.failures import Invalid
from server.schemas.salesforce import (
    AgentsCreated,
    AgentsFromUsers,
    ImportResult,
    SalesforceUser,
)
from server.schemas.telephony import AgentConfig, AgentCreate
from server.store import salesforce as store
from server.store.db import Database, Tx
from server.telephony.admin import TelephonyAdmin

from .orgs import SalesforceOrgs

logger = logging.getLogger(__name__)

USER_QUERY = (
    "SELECT Id, Username, Email, Name FROM User "
    "WHERE IsActive = true AND UserType = 'Standard' ORDER BY Id"
)
FIRST_EXTENSION = 100


def match_users(
    users: Iterable[Mapping[str, str]],
    agents: Iterable[AgentConfig],
    linked: Mapping[str, str | None],
) -> dict[str, str | None]:
    """user_id -> agent_id: a link that still names an agent stays; otherwise the agent
    with the user's email, unless another user of the org has it already."""
    by_id = {a.id: a for a in agents}
    by_email = {a.email.lower(): a.id for a in by_id.values()}
    out: dict[str, str | None] = {}
    taken: set[str] = set()
    users = list(users)
    for user in users:
        agent = linked.get(user["user_id"])
        if agent is not None and agent in by_id:
            out[user["user_id"]] = agent
            taken.add(agent)
    for user in users:
        if user["user_id"] in out:
            continue
        agent = by_email.get(user["email"].lower())
        out[user["user_id"]] = agent if agent is not None and agent not in taken else None
        if agent is not None and out[user["user_id"]] is not None:
            taken.add(agent)
    return out


def free_extension(used: Iterable[str]) -> str:
    taken = set(used)
    number = FIRST_EXTENSION
    while str(number) in taken:
        number += 1
    return str(number)


class SalesforceUsers:
    def __init__(
        self, *, db: Database, clock: Clock, orgs: SalesforceOrgs, telephony: TelephonyAdmin
    ) -> None:
        self._db = db
        self._clock = clock
        self._orgs = orgs
        self._telephony = telephony

    async def users(self, tenant_id: str, row_id: str) -> list[SalesforceUser]:
        await self._orgs.row(tenant_id, row_id)
        async with self._db.read() as conn:
            rows = await store.org_users(conn, tenant_id, row_id)
        return [
            SalesforceUser(
                user_id=r["user_id"],
                email=r["email"],
                name=r["name"],
                is_active=bool(r["is_active"]),
                agent_id=r["agent_id"],
                state="inactive"
                if not r["is_active"]
                else ("linked" if r["agent_id"] else "unmatched"),
            )
            for r in rows
        ]

    async def import_users(self, tenant_id: str, row_id: str) -> ImportResult:
        row = await self._orgs.row(tenant_id, row_id)
        records = await self._orgs.client(row).query(USER_QUERY)
        fetched = [
            {
                "user_id": str(r["Id"]),
                "email": str(r.get("Email") or "").lower(),
                "name": str(r.get("Name") or ""),
                "username": str(r.get("Username") or ""),  # SCRT2's agent
            }
            for r in records
        ]
        before = {u.user_id: u.agent_id for u in await self.users(tenant_id, row_id)}
        links = match_users(fetched, await self._telephony.agents(tenant_id), before)
        async with self._db.transaction() as tx:
            await store.upsert_users_txn(
                tx,
                tenant_id,
                row_id,
                [
                    {
                        **u,
                        "username": u["username"] or None,
                        "is_active": True,
                        "agent_id": links[u["user_id"]],
                    }
                    for u in fetched
                ],
                self._clock.now(),
            )
        users = await self.users(tenant_id, row_id)
        logger.info("%s ~ %d salesforce users imported", row_id, len(fetched))
        return ImportResult(
            imported=len(fetched),
            linked=sum(u.state == "linked" for u in users),
            unmatched=sum(u.state == "unmatched" for u in users),
            inactive=sum(u.state == "inactive" for u in users),
            users=users,
        )

    async def create_agents(
        self, tenant_id: str, row_id: str, body: AgentsFromUsers
    ) -> AgentsCreated:
        """One SIVO agent per chosen unmatched user, in the chosen queues, each linked to its
        user in the same transaction as all the others: all are made, or none."""
        users = {u.user_id: u for u in await self.users(tenant_id, row_id)}
        chosen = list(dict.fromkeys(body.user_ids))
        for user_id in chosen:
            user = users.get(user_id)
            if user is None or user.state != "unmatched":
                raise Invalid("user_ids", f"{user_id} is not an unmatched active user of the org")
        extensions = [a.extension for a in await self._telephony.agents(tenant_id)]
        requests: list[AgentCreate] = []
        for user_id in chosen:  # every request is valid before anything is written
            user = users[user_id]
            extension = free_extension(extensions)
            extensions.append(extension)
            try:
                requests.append(
                    AgentCreate(
                        name=user.name or user.email,
                        email=user.email,
                        extension=extension,
                        queue_ids=body.queue_ids,
                    )
                )
            except ValidationError as exc:
                raise Invalid("user_ids", f"{user_id}: its name or email cannot be used") from exc

        async def link_txn(tx: Tx, agent_ids: list[str]) -> None:
            await store.link_users_txn(
                tx, tenant_id, row_id, dict(zip(chosen, agent_ids, strict=True))
            )

        # The agents and their links in one transaction: all of them, or nothing (no orphan).
        agents = await self._telephony.create_agents(tenant_id, requests, also_txn=link_txn)
        created = [agent.id for agent in agents]
        return AgentsCreated(created=created, users=await self.users(tenant_id, row_id))
