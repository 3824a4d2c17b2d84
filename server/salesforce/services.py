"""The Salesforce services, built once by ``create_app``."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx

from server.clock import Clock
from server.crypto import SecretBox
from server.store.db import Database
from server.telephony.admin import TelephonyAdmin
from server.tokens import TokenService

from .call_logs import CallLogs
from .certificates import OrgCertificates
from .config import SalesforceSettings
from .console import ConsoleFraming
from .console_signin import ConsoleSignIn
from .orgs import SalesforceOrgs
from .reach import SalesforceReach
from .ring_pops import AgentPush, RingPops
from .screenpop import ScreenPops
from .scrt2_delivery import Scrt2Delivery
from .scrt2_jwt import ActiveKeys
from .scrt2_sender import Scrt2Sender
from .signin import SalesforceSignIn
from .softphone_sessions import SoftphoneSessions
from .task_delivery import TaskDelivery
from .task_sender import TaskSender
from .users import SalesforceUsers


@dataclass(frozen=True)
class SalesforceServices:
    orgs: SalesforceOrgs
    users: SalesforceUsers
    certificates: OrgCertificates
    sign_in: SalesforceSignIn
    screen_pops: ScreenPops
    console: ConsoleFraming
    ring_pops: RingPops  # a CallObserver: the app registers it with the switchboard
    console_signin: ConsoleSignIn  # the softphone's Salesforce popup
    softphone_sessions: SoftphoneSessions
    call_logs: CallLogs  # also a CallObserver (who a call rang) and the wrap-up gate
    tasks: TaskDelivery  # an OutboxSink, and the core sending the Tasks (started by the app)
    scrt2: Scrt2Delivery  # an OutboxSink: inbound calls as VoiceCalls (started by the app)
    keys: ActiveKeys  # the orgs' active SCRT2 keys, as their JWTs are signed
    http: httpx.AsyncClient  # closed by the app at shutdown


def http_client(settings: SalesforceSettings) -> httpx.AsyncClient:
    """One client for every org: verified TLS (plus ``ca_bundle``), no redirects followed."""
    context = ssl.create_default_context()
    if settings.ca_bundle is not None:
        context.load_verify_locations(cafile=str(settings.ca_bundle))
    return httpx.AsyncClient(
        verify=context, timeout=settings.timeout_s, follow_redirects=False, trust_env=False
    )


def build_salesforce(
    *,
    settings: SalesforceSettings,
    public_url: str,
    db: Database,
    box: SecretBox,
    clock: Clock,
    telephony: TelephonyAdmin,
    tokens: TokenService,
    agents: AgentPush,
    http: httpx.AsyncClient | None = None,
) -> SalesforceServices:
    http = http or http_client(settings)
    keys = ActiveKeys(db=db, box=box)
    certificates = OrgCertificates(db=db, box=box, clock=clock, keys=keys)
    orgs = SalesforceOrgs(
        db=db,
        box=box,
        clock=clock,
        http=http,
        settings=settings,
        public_url=public_url,
        certificates=certificates,
    )
    users = SalesforceUsers(db=db, clock=clock, orgs=orgs, telephony=telephony)
    sign_in = SalesforceSignIn(db=db, http=http, telephony=telephony, tokens=tokens)
    screen_pops = ScreenPops(db=db, orgs=orgs, clock=clock)
    # Each tells the other: a single-record pop is the Task's suggestion, and a record the
    # agent opens after a pop that found nobody makes the pop forget that caller.
    ring_pops = RingPops(
        db=db,
        pops=screen_pops,
        push=agents,
        on_found=lambda tenant_id, call_id, pop: call_logs.suggest_pop(tenant_id, call_id, pop),
    )
    call_logs = CallLogs(db=db, clock=clock, on_record_opened=ring_pops.record_opened)
    reach = SalesforceReach()  # one lookup for both sinks: can this batch concern Salesforce?
    tasks = TaskDelivery(
        db=db,
        clock=clock,
        sender=TaskSender(db=db, clock=clock, orgs=orgs, public_url=public_url),
        rung=call_logs.rung_agent,
        reach=reach,
    )
    orgs.on_connected.append(tasks.org_connected)
    scrt2 = Scrt2Delivery(
        db=db,
        clock=clock,
        sender=Scrt2Sender(db=db, clock=clock, keys=keys, http=http),
        reach=reach,
    )
    orgs.on_connected.append(scrt2.org_connected)
    sessions = SoftphoneSessions(
        db=db,
        box=box,
        clock=clock,
        http=http,
        settings=settings,
        telephony=telephony,
        tokens=tokens,
        sign_in=sign_in,
    )
    console_signin = ConsoleSignIn(
        db=db,
        box=box,
        clock=clock,
        http=http,
        settings=settings,
        public_url=public_url,
        sign_in=sign_in,
        sessions=sessions,
    )
    return SalesforceServices(
        orgs=orgs,
        users=users,
        certificates=certificates,
        sign_in=sign_in,
        screen_pops=screen_pops,
        console=ConsoleFraming(db=db, settings=screen_pops),
        ring_pops=ring_pops,
        console_signin=console_signin,
        softphone_sessions=sessions,
        call_logs=call_logs,
        tasks=tasks,
        scrt2=scrt2,
        keys=keys,
        http=http,
    )
