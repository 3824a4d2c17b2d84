"""``/api/v1/calls`` and ``/api/v1/recordings``: the call log and recordings."""

from __future__ import annotations

from aiohttp import web

from server.schemas.calls import (
    Call,
    CallEventList,
    CallList,
    CallListQuery,
    Recording,
    SalesforceRecordList,
)
from server.schemas.transcripts import Transcript

from .context import services, tenant_id
from .contract import Contract

calls = Contract(tag="Calls")


@calls.get("/api/v1/calls", query=CallListQuery, response=CallList, summary="List calls")
async def list_calls(request: web.Request, query: CallListQuery) -> CallList:
    """Newest first. A call's `id` is the `call_id` of its webhook events. Every filter
    given must hold: a period of the call's start (`since` ≤ start < `until`), the queue
    and the agent on its CDR, its direction and its `outcome`. An unknown queue or agent
    id matches no call."""
    items = await services(request).history.list_calls(tenant_id(request), query)
    return CallList(data=items)


@calls.get("/api/v1/calls/{id}", response=Call, summary="Get a call (its CDR once ended)")
async def get_call(request: web.Request) -> Call:
    return await services(request).history.get_call(tenant_id(request), request.match_info["id"])


@calls.get("/api/v1/calls/{id}/events", response=CallEventList, summary="Get a call's events")
async def get_call_events(request: web.Request) -> CallEventList:
    """The events the call emitted (the webhook events with its `call_id`: created, queue
    entered, answered, transferred, ended with its CDR, recorded, transcript completed…),
    in the order they were emitted; live `transcript.segment` events are left out (the
    transcript has them)."""
    history = services(request).history
    return CallEventList(
        data=await history.call_events(tenant_id(request), request.match_info["id"])
    )


@calls.get(
    "/api/v1/calls/{id}/salesforce",
    response=SalesforceRecordList,
    summary="Get the Salesforce records a call touched",
)
async def get_call_salesforce(request: web.Request) -> SalesforceRecordList:
    """The call's VoiceCall (SCRT2; a transferred call also names the leg before) and its
    Task (call logging), in orgs still connected, each with its Lightning URL. Empty when
    the call made none."""
    history = services(request).history
    records = await history.salesforce_records(tenant_id(request), request.match_info["id"])
    return SalesforceRecordList(data=records)


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
