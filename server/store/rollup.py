"""The call reports' rollup (``call_rollup``, migration 0016): the ended calls' report sums
per tenant, queue, agent and UTC hour of ``created_at``, kept as calls end.

Each call is in four rows: its (queue, agent), (queue, ``*``), (``*``, agent) and (``*``,
``*``), where ``*`` is all queues or all agents ('' is none). A report's series is then one
key's hours ((``*``, ``*``) for a tenant's, (queue, ``*``) for a queue's: 8,760 rows a
year, however many agents), its queues the (queue, ``*``) rows, its agents the (``*``,
agent) rows (or, filtered, the pairs of that queue or agent).

::

    SqlCallStore.commit (one transaction)            TelephonyAdmin.update_settings
      add_calls_txn(ids of saved calls, -1)            (the threshold changed, same txn)
        those that had already ended: out again          rebuild_txn(tenant): the tenant's
      UPDATE / INSERT calls                              rows summed again from its calls,
      add_calls_txn(ids of calls now ended, +1)          at the new threshold
        INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE SET n = n + excluded.n

A call's contribution is :func:`server.store.reports.figures` of its row (the report's own
definitions), with its tenant's service level threshold read in the same statement (20 s
without settings), so the rollup holds exactly what summing ``calls`` gives for the ended
calls, and a report adds the rollup's whole hours to the rest read from ``calls``. Ended is
a call's last state, so the calls to add are those whose new state is ``ended``; one saved
again afterwards (its CDR rewritten) is taken out with its old row first, then added back.

On PostgreSQL both writers take the tenant's transaction-level advisory lock first: a call
ending while the threshold changes is then summed either before the rebuild (and summed
again by it) or after it (at the new threshold), never at the old threshold after it.
SQLite has one writer, which orders them already.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Insert,
    delete,
    func,
    literal,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from server.schemas.reports import DEFAULT_SERVICE_LEVEL_THRESHOLD_S

from .db import Tx
from .reports import ALL, FIGURES, HOUR_S, figures, hour_index
from .tables import call_rollup, calls, telephony_settings

KEYS = ("tenant_id", "queue_id", "agent_id", "hour")
_ALL: ColumnElement[str] = literal_column(f"'{ALL}'")  # inline: a constant, not a GROUP BY key
_LOCK_CLASS = 16016  # pg_advisory_xact_lock(class, key): this module's class of locks
_CHUNK = 5_000  # ids per statement (SQLite's bound variables)


async def add_calls_txn(tx: Tx, call_ids: Sequence[str], *, sign: int = 1) -> None:
    """Add the ended calls among ``call_ids`` to the rollup (``sign=-1``: take them out).

    Args:
        tx: the transaction that ends (or saves) those calls.
        call_ids: any calls' ids; those not ended contribute nothing.
        sign: ``1`` to add the calls' contribution, ``-1`` to take it out.
    """
    if not call_ids:
        return
    for start in range(0, len(call_ids), _CHUNK):
        chunk = list(call_ids[start : start + _CHUNK])
        await tx.conn.execute(_upsert(tx, calls.c.id.in_(chunk), sign))


async def rebuild_txn(tx: Tx, tenant_id: str) -> None:
    """The tenant's rollup summed again from its ended calls (its threshold has changed)."""
    await lock_tenant_txn(tx, tenant_id)
    await tx.conn.execute(delete(call_rollup).where(call_rollup.c.tenant_id == tenant_id))
    await tx.conn.execute(_upsert(tx, calls.c.tenant_id == tenant_id, 1))


async def lock_tenant_txn(tx: Tx, *tenant_ids: str) -> None:
    """PostgreSQL: the tenants' rollup locks until the transaction ends (module docstring),
    taken in one order so that two writers never wait for each other in a cycle."""
    if tx.conn.dialect.name != "postgresql":
        return
    for tenant_id in sorted(set(tenant_ids)):
        await tx.conn.execute(
            text("SELECT pg_advisory_xact_lock(:cls, hashtext(:tenant))"),
            {"cls": _LOCK_CLASS, "tenant": tenant_id},
        )


def _upsert(tx: Tx, which: ColumnElement[bool], sign: int) -> Insert:
    """``INSERT INTO call_rollup SELECT`` the contribution of the ended calls ``which``
    selects, in its four rows each, added to the rows already there."""
    c, s = calls.c, telephony_settings.c
    threshold = func.coalesce(s.service_level_threshold_s, DEFAULT_SERVICE_LEVEL_THRESHOLD_S)
    hour = hour_index(c.created_at / literal(HOUR_S))
    queue, agent = func.coalesce(c.queue_id, ""), func.coalesce(c.agent_id, "")
    sums = figures(threshold)
    if sign < 0:
        sums = [-column for column in sums]
    parts = []
    for q, a in ((queue, agent), (queue, _ALL), (_ALL, agent), (_ALL, _ALL)):
        grouped = [key for key in (c.tenant_id, q, a, hour) if key is not _ALL]
        parts.append(
            select(c.tenant_id, q, a, hour, *sums)
            .select_from(calls.outerjoin(telephony_settings, s.tenant_id == c.tenant_id))
            .where(which, c.state == "ended")
            .group_by(*grouped)
        )
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(call_rollup).from_select([*KEYS, *FIGURES], union_all(*parts))
    r = call_rollup.c
    upsert: Insert = insert.on_conflict_do_update(
        index_elements=[r[key] for key in KEYS],
        set_={name: r[name] + insert.excluded[name] for name in FIGURES},
    )
    return upsert
