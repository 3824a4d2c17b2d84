"""A graceful shutdown mid-call: the call ends and its recording is finalized, both durably."""

from __future__ import annotations

import asyncio
import json
import wave

import jsonschema
from sqlalchemy import select

from server.events.catalog import CATALOG
from server.store import telephony as store
from server.store.db import Database
from server.store.tables import events

from .conftest import Center, answer, dial


async def test_shutdown_mid_call_commits_call_ended_and_call_recorded(center: Center) -> None:
    """After the app's cleanup: call.ended (server_shutdown) and call.recorded, with a 2-ch WAV."""
    agent, _agent_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, caller_peer = await dial(center, caller, 440.0)
    await agent.wait_for("call.ringing")
    await answer(agent, call_id, 1000.0)
    await caller_peer.wait_connected()
    await asyncio.sleep(0.8)  # some audio in the recording
    settings = center.services.settings

    # A graceful shutdown, as on SIGTERM: the parties are told while their sockets still
    # work, then hang up, so aiohttp need not wait out its timeout for their connections.
    closing = asyncio.create_task(center.client.close())
    for phone in (agent, caller):
        pushed = await phone.wait_for("call.ended")
        assert pushed["call_id"] == call_id and pushed["cause"] == "server_shutdown"
        await phone.sio.disconnect()
    await asyncio.wait_for(closing, 30)

    # What a restarted process finds: read through a new connection to the same database.
    db = Database(settings.database_url)
    try:
        async with db.read() as conn:
            rows = await conn.execute(
                select(events.c.type, events.c.data)
                .where(events.c.tenant_id == center.tenant.id)
                .order_by(events.c.seq)
            )
            emitted = [(r.type, json.loads(r.data)) for r in rows]
            by_type = dict(emitted)
            recording = None
            if "call.recorded" in by_type:
                recording_id = by_type["call.recorded"]["recording_id"]
                recording = await store.get_recording(conn, recording_id)
    finally:
        await db.close()
    for type_, data in emitted:
        jsonschema.validate(data, CATALOG[type_]["schema"])

    types = [t for t, _ in emitted]
    assert types.index("call.recorded") > types.index("call.ended")
    ended, recorded = by_type["call.ended"], by_type["call.recorded"]
    assert ended["call_id"] == call_id and ended["hangup_cause"] == "server_shutdown"
    assert ended["hangup_side"] == "system" and ended["recording_id"] == recorded["recording_id"]
    assert recorded["call_id"] == call_id and recorded["channels"] == 2
    assert recording is not None and recording["status"] == "ready"

    path = settings.data_dir / "recordings" / recording["file_name"]
    assert path.is_file()
    with wave.open(str(path), "rb") as wav:  # a finalized header: wave reads it back
        assert wav.getnchannels() == 2 and wav.getsampwidth() == 2
        frames = wav.getnframes()
        assert frames > 0 and len(wav.readframes(frames)) == frames * 4
        assert abs(frames / wav.getframerate() - recorded["duration_seconds"]) < 0.01
