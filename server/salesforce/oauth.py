"""The OAuth 2.0 web-server flow with PKCE, as Salesforce documents it (reference §4). Pure.

What is built here: the verifier and its S256 challenge, the authorize URL, the token
request forms, the token response as a model, and what each error Salesforce can return
means for the admin who sees it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict

SCOPES = "api refresh_token openid"
STATE_TTL_S = 600.0


def new_verifier() -> str:
    """43-128 characters of the unreserved set (RFC 7636 §4.1): 64 here."""
    return secrets.token_urlsafe(48)


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    login_url: str, *, client_id: str, redirect_uri: str, state: str, verifier: str
) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{login_url}/services/oauth2/authorize?{query}"


def code_form(
    *, code: str, client_id: str, client_secret: str, redirect_uri: str, verifier: str
) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    if client_secret:
        form["client_secret"] = client_secret
    return form


def refresh_form(*, refresh_token: str, client_id: str, client_secret: str) -> dict[str, str]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    if client_secret:
        form["client_secret"] = client_secret
    return form


class TokenResponse(BaseModel):
    """Salesforce's token response (no ``expires_in``: the org's session timeout rules)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: str
    instance_url: str
    id: str  # the identity URL: {login host}/id/{orgId}/{userId}
    token_type: str = "Bearer"
    issued_at: str | None = None
    refresh_token: str | None = None
    scope: str | None = None
    id_token: str | None = None
    signature: str | None = None


class Identity(BaseModel):
    """The identity URL's answer (reference §4.3): who approved, in which org."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    user_id: str
    organization_id: str
    username: str
    email: str | None = None
    display_name: str | None = None


# What each error means, and what the admin can do (Help "OAuth 2.0 Web Server Flow",
# "Troubleshoot OAuth"): keyed by the `error` Salesforce returns.
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "access_denied": (
        "The connection was not approved in Salesforce.",
        "Start again and choose Allow on Salesforce's consent page.",
    ),
    "invalid_grant": (
        "Salesforce did not accept the authorization (it expired, was used, or the login "
        "host does not match the org).",
        "Start again; for a sandbox choose Sandbox, for My Domain type its URL.",
    ),
    "immediate_unsuccessful": (
        "Salesforce could not approve without asking you.",
        "Start again; you will be asked to log in and approve.",
    ),
    "login_required": (
        "You are not logged in to Salesforce in this browser.",
        "Start again and log in to Salesforce when asked.",
    ),
    "consent_required": (
        "SIVO has not been approved for this org yet.",
        "Start again and approve SIVO on Salesforce's consent page.",
    ),
    "invalid_client_id": (
        "Salesforce does not know SIVO's app in this org.",
        "Install the SIVO package (it adds SIVO's External Client App), or ask your SIVO "
        "operator to check SIVO_SALESFORCE_CLIENT_ID.",
    ),
    "invalid_client": (
        "Salesforce refused SIVO's app credentials.",
        "Ask your SIVO operator to check SIVO_SALESFORCE_CLIENT_ID and _CLIENT_SECRET.",
    ),
    "redirect_uri_mismatch": (
        "SIVO's callback URL is not the one registered in the External Client App.",
        "In Salesforce Setup, set the app's callback URL to the one shown below.",
    ),
    "invalid_request": (
        "Salesforce refused the request as malformed.",
        "Start again; if it happens again, send the request id below to support.",
    ),
    "inactive_user": (
        "Your Salesforce user is inactive.",
        "Ask your Salesforce admin to activate it, or connect as another admin.",
    ),
    "inactive_org": (
        "This Salesforce org is locked, closed or suspended.",
        "Connect another org, or contact Salesforce.",
    ),
    "rate_limit_exceeded": (
        "Salesforce refused too many logins in a short time.",
        "Wait a few minutes, then start again.",
    ),
    "unsupported_response_type": (
        "Salesforce refused the kind of authorization SIVO asked for.",
        "Check that the External Client App allows the web-server flow.",
    ),
    "invalid_scope": (
        "The app is not allowed the access SIVO asks for (api, refresh_token, openid).",
        "In Salesforce Setup, give the External Client App these OAuth scopes.",
    ),
}

UNKNOWN = ("Salesforce refused the connection.", "Start again; if it persists, contact support.")


def explain(error: str) -> tuple[str, str]:
    return EXPLANATIONS.get(error, UNKNOWN)
