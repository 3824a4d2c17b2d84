"""Connected Salesforce orgs, their discovery, keys and users, as the API shows them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import Body, Id, Patch, Timestamp, View, single_line_text
from .telephony import Agent

OrgStatus = Literal["connected", "needs_reconnect"]


class Discovered(View):
    """One value SIVO found in the org, and how."""

    key: str = Field(description="Stable: org_id, org_id15, is_sandbox, instance_url, …")
    name: str
    value: str | bool | None
    how: str = Field(description="The query or response it came from.")
    uncertain: bool = Field(
        default=False, description="Derived by a rule Salesforce does not document."
    )


class CallCenterChoice(View):
    id: str
    internal_name: str
    name: str


class SalesforceOrg(View):
    id: str
    org_id: str = Field(description="18 characters, as Salesforce returns it.")
    org_id15: str = Field(description="The first 15: the SCRT2 JWT's issuer.")
    name: str
    is_sandbox: bool
    environment: Literal["production", "sandbox", "my_domain"]
    login: str = Field(
        description="What to reconnect with: /admin/salesforce/connect?login={login}."
    )
    instance_url: str
    lightning_origin: str = Field(
        description="Where the org's Lightning pages (and the package's component) run."
    )
    my_domain: str | None
    status: OrgStatus
    status_reason: str | None
    connected_by: str = Field(description="The Salesforce username that approved SIVO.")
    connected_at: Timestamp
    call_center: CallCenterChoice | None
    call_centers: list[CallCenterChoice] = Field(description="SIVO_ call centers found.")
    scrt_base_url: str | None
    scrt_source: Literal["none", "scrt_config", "derived", "admin"]
    push_transcripts: bool = Field(
        description="Live transcript segments go to the VoiceCall's conversation (SCRT2)."
    )
    provider_name: str = Field(description="The Telephony-Provider-Name header SCRT2 gets.")
    discovery: list[Discovered]


class SalesforceOrgList(View):
    data: list[SalesforceOrg]


class SalesforceConfig(View):
    """Whether this SIVO can connect orgs, and the callback URL its app must register."""

    configured: bool = Field(description="SIVO_SALESFORCE_CLIENT_ID is set.")
    callback_url: str


ScrtUrl = Annotated[str, Field(pattern=r"^https://[^\s/?#@]+$", max_length=300)]
# 1-80 letters, digits, spaces, "-", "_", "."; no space at either end (a header value's
# surrounding blanks are not part of it).
ProviderName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9._-](?:[A-Za-z0-9 ._-]{0,78}[A-Za-z0-9._-])?$",
        min_length=1,
        max_length=80,
    ),
]


class SalesforceOrgUpdate(Patch):
    NULLABLE = frozenset({"scrt_base_url"})

    call_center_id: Id | None = Field(default=None, description="One of `call_centers`.")
    scrt_base_url: ScrtUrl | None = Field(
        default=None, description="Overrides what discovery found; null goes back to it."
    )
    push_transcripts: bool | None = Field(
        default=None,
        description="Send live transcript segments as SCRT2 messages. Default false.",
    )
    provider_name: ProviderName | None = Field(
        default=None,
        description="SCRT2's Telephony-Provider-Name header on every request. Default calltree.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"scrt_base_url": "https://acme.my.salesforce-scrt.com"},
                {"push_transcripts": True, "provider_name": "calltree"},
            ]
        }
    }


class OrgKey(View):
    kid: str
    status: Literal["active", "pending", "retired"]
    created_at: Timestamp
    activated_at: Timestamp | None
    certificate_pem: str = Field(
        description="For the call center's reqTelephonyIntegrationCertificate."
    )


class OrgKeyList(View):
    data: list[OrgKey]


class SalesforceUser(View):
    user_id: str
    email: str
    name: str
    is_active: bool
    agent_id: str | None = Field(description="The SIVO agent it signs in as.")
    state: Literal["linked", "unmatched", "inactive"] = Field(
        description="inactive: deactivated in Salesforce since; it cannot sign in."
    )


class SalesforceUserList(View):
    data: list[SalesforceUser]


class ImportResult(View):
    """What one import found: every active standard user, matched to agents by email."""

    imported: int
    linked: int
    unmatched: int
    inactive: int
    users: list[SalesforceUser]


class AgentsFromUsers(Body):
    user_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    queue_ids: Annotated[list[Id], Field(max_length=100)] = Field(default_factory=list)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"user_ids": ["005AAAAAAAAAAAAAAA"], "queue_ids": ["q_01HZX3K4Q2V9N8M7B6C5D4E3F2"]}
            ]
        }
    }


class AgentsCreated(View):
    created: list[str] = Field(description="The new agents' ids.")
    users: list[SalesforceUser]


def _token_text(value: str) -> str:
    if any(c.isspace() for c in value):
        raise PydanticCustomError("invalid", "a token holds no spaces")
    return single_line_text(value)


SalesforceToken = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4096),
    AfterValidator(_token_text),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 4096, "pattern": r"^[^\s]+$"}),
]


class SalesforceExchange(Body):
    """A Salesforce access token of the org, for an agent token (no second login)."""

    org_id: Id = Field(description="The org's id (18 or 15 characters), or SIVO's sfo_ id.")
    access_token: SalesforceToken

    model_config = {
        "json_schema_extra": {
            "examples": [{"org_id": "00D5g0000000001EAA", "access_token": "00D5g0000000001!AQ…"}]
        }
    }


class AgentSignIn(View):
    token: str = Field(description="The agent JWT, as POST /api/v1/agents/{id}/tokens mints.")
    expires_at: Timestamp
    agent: Agent
