"""Every operation of the API, in the order the reference lists them."""

from __future__ import annotations

from . import (
    call_logging,
    calls,
    events,
    keys,
    metrics,
    recordings,
    reports,
    salesforce,
    screenpop,
    scrt2,
    telephony,
    webhooks,
)
from .contract import Contract

CONTRACTS: tuple[Contract, ...] = (
    *telephony.CONTRACTS,
    calls.calls,
    reports.reports,
    recordings.downloads,
    *webhooks.CONTRACTS,
    salesforce.orgs,
    scrt2.requests,
    salesforce.sign_in,
    screenpop.screen_pops,
    call_logging.call_logging,
    keys.keys,
    *events.CONTRACTS,
    metrics.metrics,
)

OPENAPI_PATH = "/api/v1/openapi.json"

# Paths under /api/ that need no API key: the document itself and what is declared public.
PUBLIC_API_PATHS = frozenset(
    {OPENAPI_PATH}
    | {
        op.path
        for contract in CONTRACTS
        for op in contract.operations
        if op.auth != "api" and op.path.startswith("/api/")
    }
)
