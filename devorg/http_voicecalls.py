"""A read-only page of an org's voice calls and their conversations, for people.

Salesforce shows a VoiceCall's record page with its transcript in the console; devorg has no
record pages, so this one page stands in for them in the demo: every VoiceCall, newest first,
with the fields SCRT2 set and its ConversationEntry rows in ``Seq`` order::

    GET /__devorg/orgs/{orgId}/voice-calls
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from .http_common import devorg_of

__all__ = ["add_voice_call_pages"]

FIELDS = (
    "VendorCallKey",
    "CallType",
    "CallDisposition",
    "FromPhoneNumber",
    "ToPhoneNumber",
    "CallStartDateTime",
    "CallAcceptDateTime",
    "CallEndDateTime",
    "CallDurationInSeconds",
    "QueueName",
    "DisconnectReason",
)
STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2rem;color:#181818}"
    "table{border-collapse:collapse;margin:.5rem 0 2rem}td,th{border:1px solid #ddd;"
    "padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}"
    ".EndUser{color:#0b5cab}.Agent{color:#2e844a}"
)


def _cell(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _call(org: Any, call: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th>{name}</th><td>{_cell(call.get(name))}</td></tr>" for name in FIELDS)
    entries = sorted(
        org.find("ConversationEntry", ConversationId=call.get("ConversationId")),
        key=lambda e: e.get("Seq") or 0,
    )
    said = "".join(
        f"<tr class='{_cell(e.get('ActorType'))}'><td>{_cell(e.get('Seq'))}</td>"
        f"<td>{_cell(e.get('ActorType'))}</td><td>{_cell(e.get('ActorName'))}</td>"
        f"<td>{_cell(e.get('EntryTime'))}</td><td>{_cell(e.get('Message'))}</td></tr>"
        for e in entries
    )
    transcript = (
        "<table><tr><th>Seq</th><th>ActorType</th><th>Actor</th><th>EntryTime</th>"
        f"<th>Message</th></tr>{said}</table>"
        if said
        else "<p>No ConversationEntry.</p>"
    )
    return f"<h2>VoiceCall {_cell(call['Id'])}</h2><table>{rows}</table>{transcript}"


async def _voice_calls(request: web.Request) -> web.StreamResponse:
    devorg = devorg_of(request)
    org = devorg.store.orgs.get(request.match_info["org_id"])
    if org is None:
        raise web.HTTPNotFound(text="no such org")
    calls = sorted(
        org.records_of("VoiceCall").values(),
        key=lambda c: str(c.get("CreatedDate") or ""),
        reverse=True,
    )
    body = "".join(_call(org, c) for c in calls) or "<p>No voice calls yet.</p>"
    organization = next(iter(org.records_of("Organization").values()), {})
    name = _cell(organization.get("Name"))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Voice Calls</title>"
        f"<style>{STYLE}</style></head><body><h1>Voice Calls of {name}</h1>"
        f"{body}</body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def add_voice_call_pages(app: web.Application) -> None:
    app.router.add_get("/__devorg/orgs/{org_id}/voice-calls", _voice_calls)
