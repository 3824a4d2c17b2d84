"""The call reports' rollup (``call_rollup``, migrations 0016 and 0017): the ended calls'
report sums per tenant, queue, agent and UTC hour of ``created_at``, kept as calls end.

Each call is in four rows: its (queue, agent), (queue, ``*``), (``*``, agent) and (``*``,
``*``), where ``*`` is all queues or all agents ('' is none). A report's series is then one
key's hours ((``*``, ``*``) for a tenant's, (queue, ``*``) for a queue's: 8,760 rows a
year, however many agents), its queues the (queue, ``*``) rows, its agents the (``*``,
agent) rows (or, filtered, the pairs of that queue or agent).

::

    SqlCallStore.commit (one transaction)
      add_calls_txn(ids of saved calls, -1)
        those that had already ended: out again
      UPDATE / INSERT calls
      add_calls_txn(ids of calls now ended, +1)
        INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE SET n = n + excluded.n

A call's contribution is :func:`server.store.reports.rollup_figures` of its row (the report's
own definitions), so the rollup holds exactly what summing ``calls`` gives for the ended
calls, and a report adds the rollup's whole hours to the rest read from ``calls``. Ended is
a call's last state, so the calls to add are those whose new state is ``ended``; one saved
again afterwards (its CDR rewritten) is taken out with its old row first, then added back.

The service level threshold is not in the rows: each row counts the answered calls whose
wait is at most each rung of the ladder (``within_5`` ... ``within_600``, migration 0017), a
cumulative histogram, and a report reads the column of the tenant's threshold, which must be
a rung. Changing the threshold therefore writes nothing here (before 0017 it summed the
tenant's rollup again: 20.7 s on SQLite, 42.7 s on PostgreSQL at 1,000,000 calls), and a call
ending while it changes adds the same counts whichever commits first, so the two need no lock
between them (0016's tenant advisory lock is gone). The rollup's writers of one tenant are its
shell's one drain task (server/telephony/apply.py), whose commits follow one another; the
upserts' own row locks are all that orders anything else (the tests' and benches' loads).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Insert, func, literal, literal_column, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from .db import Tx
from .reports import ALL, HOUR_S, ROLLUP_FIGURES, hour_index, rollup_figures
from .tables import call_rollup, calls

KEYS = ("tenant_id", "queue_id", "agent_id", "hour")
_ALL: ColumnElement[str] = literal_column(f"'{ALL}'")  # inline: a constant, not a GROUP BY key
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


def _upsert(tx: Tx, which: ColumnElement[bool], sign: int) -> Insert:
    """``INSERT INTO call_rollup SELECT`` the contribution of the ended calls ``which``
    selects, in its four rows each, added to the rows already there."""
    c = calls.c
    hour = hour_index(c.created_at / literal(HOUR_S))
    queue, agent = func.coalesce(c.queue_id, ""), func.coalesce(c.agent_id, "")
    sums = rollup_figures()
    if sign < 0:
        sums = [-column for column in sums]
    parts = []
    for q, a in ((queue, agent), (queue, _ALL), (_ALL, agent), (_ALL, _ALL)):
        grouped = [key for key in (c.tenant_id, q, a, hour) if key is not _ALL]
        parts.append(
            select(c.tenant_id, q, a, hour, *sums)
            .where(which, c.state == "ended")
            .group_by(*grouped)
        )
    dialect = postgresql if tx.conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(call_rollup).from_select([*KEYS, *ROLLUP_FIGURES], union_all(*parts))
    r = call_rollup.c
    upsert: Insert = insert.on_conflict_do_update(
        index_elements=[r[key] for key in KEYS],
        set_={name: r[name] + insert.excluded[name] for name in ROLLUP_FIGURES},
    )
    return upsert
