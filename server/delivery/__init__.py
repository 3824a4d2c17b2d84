"""One delivery engine for every destination (webhooks, Salesforce Tasks, SCRT2).

``core.DeliveryCore`` runs the lanes, timers, attempts, retries and writer; a destination
plugs in through ``ports`` (see ``core``'s docstring for the flow).
"""

from .core import DeliveryCore
from .ports import (
    ORDERED,
    Attempted,
    Decision,
    Destination,
    Job,
    LanePolicy,
    LaneState,
    Ledger,
    Outcome,
    RetrySchedule,
    Verdict,
)
from .verdicts import decide, parse_retry_after

__all__ = [
    "ORDERED",
    "Attempted",
    "Decision",
    "DeliveryCore",
    "Destination",
    "Job",
    "LanePolicy",
    "LaneState",
    "Ledger",
    "Outcome",
    "RetrySchedule",
    "Verdict",
    "decide",
    "parse_retry_after",
]
