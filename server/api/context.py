"""Typed keys for what ``create_app`` puts on the application, and per-request auth data."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from server.clock import Clock
from server.events.log import EventLog
from server.identity import IdentityService
from server.media import MediaEngine
from server.metrics import Figures, Metrics
from server.salesforce.services import SalesforceServices
from server.settings import Settings
from server.store.db import Database
from server.telephony.admin import TelephonyAdmin
from server.telephony.history import CallHistory
from server.telephony.reports import CallReports
from server.telephony.switchboard import Switchboard
from server.tokens import TokenService
from server.transcription.live import LiveTranscription
from server.transcription.transcripts import Transcripts
from server.webhooks.engine import DeliveryEngine
from server.webhooks.service import WebhookService


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    db: Database
    identity: IdentityService
    webhooks: WebhookService
    engine: DeliveryEngine
    tokens: TokenService
    telephony: TelephonyAdmin
    calls: Switchboard
    media: MediaEngine
    history: CallHistory
    reports: CallReports
    events: EventLog
    metrics: Metrics
    figures: Figures
    salesforce: SalesforceServices
    transcripts: Transcripts
    live_transcription: LiveTranscription


SERVICES = web.AppKey("services", Services)
TENANT_ID = web.RequestKey("tenant_id", str)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def tenant_id(request: web.Request) -> str:
    """The tenant the auth middleware authenticated for this request."""
    return request[TENANT_ID]
