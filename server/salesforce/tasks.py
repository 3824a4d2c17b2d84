"""A call as exactly one Salesforce Task (pure: no I/O, time comes in as arguments).

::

    call.ended (the CDR) ──> CallFacts ──kind_of──> answered | missed | unanswered | none
    annotations (pop, chooser, click, navigation; notes; disposition) ──merge──┐
    tenant settings, the owner's Salesforce user, the recording link ──────────┴─> TaskFields
    a retry ──find_task_soql(call id)──> SELECT Id FROM Task WHERE CallObject = '…'
    Salesforce's answer ──verdict──> Retry | Drop (a dead WhoId/WhatId/OwnerId) | Fail

What SIVO decided (docs/salesforce.md, "Call logging"):

- **One Task per call**, whatever happened on it, owned by the agent who handled it last:
  the CDR's ``agent_id`` (after a transfer, the agent who took the call over). Annotations
  belong to the call, not to an agent.
- **Missed** (inbound, rang an agent, never answered: the caller hung up while it rang or
  after, a max wait): one Task for the *last agent it rang*,
  ``CallDisposition`` "Missed", duration 0, with how long the caller waited. A supervisor
  sees missed calls on the caller's record and in the agent's activity, with someone to
  call back. Abandoned in the queue before any agent rang: no owner, so **no Task** (the
  CDR and ``queue.abandoned`` cover it).
- **Outbound not answered** (no answer, declined): a Task for the dialing agent,
  "No Answer". Refused before anything rang (``no_route``, ``busy``): no call took place,
  the dial was refused, **no Task**.
- The agent's disposition wins; the system's ("Missed", "No Answer") fills in only when the
  agent chose none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "DEFAULT_DISPOSITIONS",
    "MAX_NOTES",
    "Annotations",
    "CallFacts",
    "Drop",
    "Fail",
    "LogSettings",
    "Retry",
    "TaskFields",
    "find_task_soql",
    "is_salesforce_id",
    "kind_of",
    "merge",
    "owner_of",
    "soql_string",
    "task_fields",
    "verdict",
    "who_or_what",
]

Source = Literal["pop", "navigation", "clicked", "chooser"]
Kind = Literal["answered", "missed", "unanswered"]

# An explicit pick beats the record the call was dialed from, which beats the page the
# agent was on, which beats what the screen pop found.
RANK: dict[str, int] = {"pop": 0, "navigation": 1, "clicked": 2, "chooser": 3}
AGENT_SOURCES = frozenset({"navigation", "clicked", "chooser"})

DEFAULT_DISPOSITIONS = ("Resolved", "Follow-up needed", "Escalated", "Wrong number")
MISSED, NO_ANSWER = "Missed", "No Answer"
MAX_DISPOSITION = 80
MAX_NOTES = 30_000  # Task.Description holds 32,000 characters; the rest is SIVO's lines
_DESCRIPTION_MAX = 32_000
_SUBJECT_MAX = 255
_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_WHO_TYPES = frozenset({"Contact", "Lead"})
_WHO_PREFIXES = ("003", "00Q")  # Contact, Lead (Object Reference, "ID Field Type")
NOT_DIALED = frozenset({"no_route", "busy"})


def is_salesforce_id(value: str) -> bool:
    """15 or 18 letters and digits: the shape of a record id (the org says if it exists)."""
    return bool(_ID.fullmatch(value))


def who_or_what(record_id: str, object_type: str | None) -> Literal["who", "what"]:
    """Contacts and Leads are a Task's ``WhoId``; every other record its ``WhatId``."""
    if object_type:
        return "who" if object_type in _WHO_TYPES else "what"
    return "who" if record_id.startswith(_WHO_PREFIXES) else "what"


# -- the facts of the call ---------------------------------------------------------------------


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the CDR (``call.ended``) says, as a Task needs it."""

    call_id: str
    direction: str  # inbound | outbound
    from_number: str
    to_number: str
    agent_id: str | None
    created_at: datetime
    answered: bool
    wait_seconds: float
    talk_seconds: float
    hangup_cause: str
    transfers: int
    recording_id: str | None

    @classmethod
    def from_cdr(cls, cdr: Mapping[str, Any]) -> CallFacts:
        created = _time(cdr.get("created_at"))
        return cls(
            call_id=str(cdr["call_id"]),
            direction=str(cdr.get("direction", "inbound")),
            from_number=str(cdr.get("from", "")),
            to_number=str(cdr.get("to", "")),
            agent_id=cdr.get("agent_id") or None,
            created_at=created or datetime.fromtimestamp(0, UTC),
            answered=cdr.get("answered_at") is not None,
            wait_seconds=float(cdr.get("wait_seconds") or 0.0),
            talk_seconds=float(cdr.get("talk_seconds") or 0.0),
            hangup_cause=str(cdr.get("hangup_cause") or ""),
            transfers=len(cdr.get("transfers") or ()),
            recording_id=cdr.get("recording_id") or None,
        )


def kind_of(facts: CallFacts, rung_agent_id: str | None) -> Kind | None:
    """Which Task the call is, or ``None`` when it gets none (see the module docstring)."""
    if facts.answered:
        return "answered"
    if facts.direction == "outbound":
        return None if facts.hangup_cause in NOT_DIALED else "unanswered"
    return "missed" if rung_agent_id is not None else None


def owner_of(facts: CallFacts, rung_agent_id: str | None) -> str | None:
    """The agent whose Task it is: the last who handled it, or, missed, the last one rung."""
    kind = kind_of(facts, rung_agent_id)
    if kind is None:
        return None
    if kind == "missed":
        return rung_agent_id
    return facts.agent_id


# -- annotations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Annotations:
    who_id: str | None = None
    who_source: str | None = None
    what_id: str | None = None
    what_source: str | None = None
    notes: str | None = None
    disposition: str | None = None


def merge(
    current: Annotations,
    *,
    source: Source,
    who_id: str | None = None,
    what_id: str | None = None,
    notes: str | None = None,
    disposition: str | None = None,
) -> Annotations:
    """``current`` with what was sent: ``None`` leaves a field alone, ``""`` clears it.

    A record replaces the stored one unless that came from a stronger source (``RANK``): a
    screen pop never overrides the agent. An explicit pick from the chooser replaces the
    whole suggestion: a field still holding what the pop found is dropped with it (the pop's
    Case is not about the Contact the agent picked instead).
    """
    out = current
    rank = RANK[source]
    for field in ("who", "what"):
        value = who_id if field == "who" else what_id
        if value is None:
            continue
        stored_source = getattr(out, f"{field}_source")
        if stored_source is not None and RANK.get(stored_source, 0) > rank:
            continue
        out = replace(
            out, **{f"{field}_id": value or None, f"{field}_source": source if value else None}
        )
    if source == "chooser" and (who_id or what_id):
        for field in ("who", "what"):
            if getattr(out, f"{field}_source") == "pop":
                out = replace(out, **{f"{field}_id": None, f"{field}_source": None})
    if notes is not None:
        out = replace(out, notes=notes or None)
    if disposition is not None:
        out = replace(out, disposition=disposition or None)
    return out


@dataclass(frozen=True, slots=True)
class LogSettings:
    """A tenant's call logging (``PATCH /api/v1/salesforce/call-logging``)."""

    enabled: bool = True
    dispositions: tuple[str, ...] = DEFAULT_DISPOSITIONS
    disposition_required: bool = False


# -- the Task ----------------------------------------------------------------------------------


class TaskFields(BaseModel):
    """The body of ``POST /sobjects/Task``, in Salesforce's field names (Object Reference,
    Task). ``Type`` is left out on purpose: orgs that hide it from the integration user
    would refuse the whole Task; ``TaskSubtype`` is what makes it a call in Lightning."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    Subject: str
    TaskSubtype: Literal["Call"] = "Call"
    CallType: Literal["Inbound", "Outbound"]
    CallDurationInSeconds: int
    CallObject: str
    CallDisposition: str | None = None
    Status: Literal["Completed"] = "Completed"
    ActivityDate: str
    OwnerId: str | None = None
    WhoId: str | None = None
    WhatId: str | None = None
    Description: str | None = None

    def body(self, *, without: frozenset[str] = frozenset()) -> dict[str, Any]:
        """What is sent: unset fields left out, and any Salesforce refused (``Drop``)."""
        values = self.model_dump(exclude_none=True)
        return {k: v for k, v in values.items() if k not in without}


def _subject(facts: CallFacts, kind: Kind) -> str:
    inbound = facts.direction == "inbound"
    other = facts.from_number if inbound else facts.to_number
    label = {
        "answered": "Call from" if inbound else "Call to",
        "missed": "Missed call from",
        "unanswered": "Unanswered call to",
    }[kind]
    return f"{label} {other}"[:_SUBJECT_MAX]


def _summary(facts: CallFacts, kind: Kind) -> str | None:
    if kind == "missed":
        return f"Missed: the caller waited {round(facts.wait_seconds)} s ({facts.hangup_cause})."
    if kind == "unanswered":
        return f"Not answered ({facts.hangup_cause})."
    if facts.transfers:
        return f"Transferred {facts.transfers} time{'s' if facts.transfers > 1 else ''}."
    return None


def task_fields(
    facts: CallFacts,
    annotations: Annotations,
    *,
    kind: Kind,
    owner_user_id: str | None,
    recording_url: str | None,
) -> TaskFields:
    """The Task for a call: SIVO's lines, the agent's notes, then the recording link."""
    system = MISSED if kind == "missed" else NO_ANSWER if kind == "unanswered" else None
    notes = (annotations.notes or "")[:MAX_NOTES]
    parts = [p for p in (_summary(facts, kind), notes) if p]
    if recording_url and facts.recording_id:
        parts.append(f"Recording: {recording_url}")
    description = "\n\n".join(parts)[:_DESCRIPTION_MAX] or None
    return TaskFields(
        Subject=_subject(facts, kind),
        CallType="Inbound" if facts.direction == "inbound" else "Outbound",
        CallDurationInSeconds=round(facts.talk_seconds) if kind == "answered" else 0,
        CallObject=facts.call_id,
        CallDisposition=annotations.disposition or system,
        ActivityDate=facts.created_at.astimezone(UTC).date().isoformat(),
        OwnerId=owner_user_id,
        WhoId=annotations.who_id,
        WhatId=annotations.what_id,
        Description=description,
    )


# -- looking before creating -------------------------------------------------------------------


def soql_string(value: str) -> str:
    """A SOQL string literal: quotes and backslashes escaped, as are the control characters
    SOQL has escapes for (SOQL and SOSL Reference, "Quoted String Escape Sequences")."""
    escapes = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    escapes.update({"\b": "\\b", "\f": "\\f"})
    return "'" + "".join(escapes.get(char, char) for char in value) + "'"


def find_task_soql(call_id: str) -> str:
    """The Task an earlier attempt may have created (``CallObject`` is SIVO's call id)."""
    return f"SELECT Id FROM Task WHERE CallObject = {soql_string(call_id)} LIMIT 1"


# -- what Salesforce's answer means ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again later (5xx, unreachable, a timeout, 429, the daily limit)."""

    error: str
    after_s: float | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    """A reference the org no longer accepts (a deleted Contact, an inactive owner): create
    the Task once more without these fields, rather than lose it."""

    fields: frozenset[str]
    error: str


@dataclass(frozen=True, slots=True)
class Fail:
    """It can never succeed as it is (a field hidden by the org, no permission)."""

    error: str


Verdict = Retry | Drop | Fail
DROPPABLE = frozenset({"WhoId", "WhatId", "OwnerId"})
_BAD_REFERENCE = frozenset(
    {
        "INVALID_CROSS_REFERENCE_KEY",
        "ENTITY_IS_DELETED",
        "FIELD_INTEGRITY_EXCEPTION",
        "INACTIVE_OWNER_OR_USER",
        "MALFORMED_ID",
    }
)
DAILY_LIMIT_RETRY_S = 3600.0


def verdict(
    status: int, sf_code: str, fields: frozenset[str], retry_after_s: float | None
) -> Verdict:
    """What a refused create (or look-up) means. ``status`` 0 is a transport failure."""
    error = f"{status} {sf_code}"
    if status == 0 or status >= 500:
        return Retry(error)
    if status == 429:
        return Retry(error, retry_after_s)
    if sf_code == "REQUEST_LIMIT_EXCEEDED":  # the org's daily API requests are used up
        return Retry(error, retry_after_s or DAILY_LIMIT_RETRY_S)
    if sf_code in _BAD_REFERENCE:
        refused = fields & DROPPABLE
        if refused:
            return Drop(frozenset(refused), error)
        if sf_code == "INACTIVE_OWNER_OR_USER":
            return Drop(frozenset({"OwnerId"}), error)
        if not fields:  # a deleted record, say, without naming the field: drop both records
            return Drop(frozenset({"WhoId", "WhatId"}), error)
    return Fail(error)
