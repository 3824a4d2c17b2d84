"""``/api/v1/calls`` and ``/api/v1/recordings``: the call log and recordings."""

from __future__ import annotations

from aiohttp import web

from server.schemas.calls import Call, CallList, CallListQuery, Recording
from server.schemas.transcripts import Transcript

from .context import services, tenant_id
from .contract import Contract

calls = Contract(tag="Calls")


@calls.get("/api/v1/calls", query=CallListQuery, response=CallList, summary="List calls")
async def list_calls(request: web.Request, query: CallListQuery) -> CallList:
    """Newest first. A call's `id` is the `call_id` of its webhook events."""
    items = await services(request).history.list_calls(tenant_id(request), query.limit)
    return CallList(data=items)


@calls.get("/api/v1/calls/{id}", response=Call, summary="Get a call (its CDR once ended)")
async def get_call(request: web.Request) -> Call:
    return await services(request).history.get_call(tenant_id(request), request.match_info["id"])


@calls.get("/api/v1/calls/{id}/transcript", response=Transcript, summary="Get a call's transcript")
async def get_transcript(request: web.Request) -> Transcript:
    """Both parties, turn by turn, while the call goes on (`live`) and once it ended
    (`completed`, the same segments as `transcript.completed`). `state` is `none` when the
    call was not transcribed (`transcribe_calls` in the telephony settings was off)."""
    transcripts = services(request).transcripts
    return await transcripts.transcript(tenant_id(request), request.match_info["id"])


@calls.get(
    "/api/v1/recordings/{id}",
    response=Recording,
    summary="Get a recording, with a fresh signed URL",
    errors=(410,),
)
async def get_recording(request: web.Request) -> Recording:
    """While recording, `status` is `recording` and there is no `url`; once ready, `url` is
    a signed link to the WAV (no API key needed) valid until `expires_at`. 410
    `recording_failed` when it could not be finalized."""
    return await services(request).history.recording(tenant_id(request), request.match_info["id"])
