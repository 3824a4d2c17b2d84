"""OAuth 2.0 web-server flow with PKCE: codes, tokens, refresh and revocation.

Follows Salesforce's "OAuth 2.0 Web Server Flow" (Help ``remoteaccess_oauth_web_server_flow``)
and RFC 7636 for PKCE. Pure apart from random token generation: time comes in as ``now``.

Errors are :class:`OAuthError` carrying the RFC 6749 ``error`` code that Salesforce sends
(``invalid_grant``, ``invalid_request``, ``unsupported_grant_type``...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

__all__ = [
    "AccessToken",
    "AuthCode",
    "OAuthError",
    "SessionStore",
    "WebSession",
    "pkce_challenge",
    "pkce_matches",
    "sign_identity",
]

# scopes_supported of https://login.salesforce.com/.well-known/openid-configuration
KNOWN_SCOPES = frozenset(
    {
        "api",
        "refresh_token",
        "offline_access",
        "openid",
        "id",
        "profile",
        "email",
        "address",
        "phone",
        "full",
        "web",
        "chatter_api",
        "visualforce",
        "custom_permissions",
        "scrt_api",
        "cdp_api",
        "lightning",
        "content",
        "wave_api",
        "eclair_api",
        "pardot_api",
    }
)
# Guess: with no `scope` parameter the app's selected scopes apply; devorg's app selects these.
DEFAULT_SCOPES = "api id refresh_token"
# RFC 7636 §4.1 allows 43-128 characters of [A-Z a-z 0-9 - . _ ~]. Salesforce asks for
# "128 bytes of random data ... base64url-encoded" (Help, "OAuth 2.0 Web Server Flow for Web
# App Integration"), i.e. 171 characters, which jsforce and the Salesforce CLI send
# (jsforce lib/oauth2.js: base64url(randomBytes(128))); devorg accepts 43 to 171.
VERIFIER_MIN_LENGTH, VERIFIER_MAX_LENGTH = 43, 171
_VERIFIER_PATTERN = re.compile(
    rf"^[A-Za-z0-9\-._~]{{{VERIFIER_MIN_LENGTH},{VERIFIER_MAX_LENGTH}}}$"
)


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


def pkce_challenge(verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding, "encoded only once" (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_matches(verifier: str, challenge: str) -> bool:
    if not _VERIFIER_PATTERN.match(verifier):
        return False
    return hmac.compare_digest(pkce_challenge(verifier), challenge)


def sign_identity(secret: str, identity_url: str, issued_at: str) -> str:
    """The token response ``signature``: Base64 HMAC-SHA256 over id + issued_at, keyed with
    the client secret (Help "OAuth 2.0 Web Server Flow", response parameters)."""
    mac = hmac.new(secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


@dataclass
class AuthCode:
    org_id: str
    user_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    scope: str
    expires_at: float
    login_host: str  # "production" or "sandbox"


@dataclass
class AccessToken:
    org_id: str
    user_id: str
    client_id: str
    scope: str
    issued_at: float
    expires_at: float
    refresh_token: str | None = None


@dataclass
class RefreshToken:
    org_id: str
    user_id: str
    client_id: str
    scope: str


@dataclass
class WebSession:
    """A browser's login at a login host (the ``sid`` cookie)."""

    org_id: str
    user_id: str
    login_host: str  # "production" or "sandbox"
    expires_at: float


@dataclass
class SessionStore:
    """Outstanding authorization codes, access tokens and refresh tokens of all orgs, plus
    the login hosts' browser sessions and the apps each user has approved."""

    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    approvals: set[tuple[str, str]] = field(default_factory=set)  # (user id, client_id)

    def open_web_session(self, session: WebSession) -> str:
        sid = secrets.token_urlsafe(32)
        self.web_sessions[sid] = session
        return sid

    def web_session(self, sid: str | None, login_host: str, now: float) -> WebSession | None:
        """The live browser session of cookie value ``sid`` at ``login_host``."""
        session = self.web_sessions.get(sid or "")
        if session is None or session.login_host != login_host:
            return None
        if session.expires_at <= now:
            del self.web_sessions[sid or ""]
            return None
        return session

    def approve(self, user_id: str, client_id: str) -> None:
        self.approvals.add((user_id, client_id))

    def approved(self, user_id: str, client_id: str) -> bool:
        return (user_id, client_id) in self.approvals

    def issue_code(self, grant: AuthCode) -> str:
        code = "aPrx" + secrets.token_urlsafe(48)
        self.codes[code] = grant
        return code

    def redeem_code(
        self,
        *,
        code: str,
        client_id: str,
        redirect_uri: str,
        code_verifier: str | None,
        login_host: str,
        now: float,
        session_seconds: float,
    ) -> tuple[str, AccessToken]:
        """Exchange a code for an access token (and a refresh token when the scope allows).

        Codes are single use: any redemption attempt consumes the code.
        """
        grant = self.codes.pop(code, None)
        if grant is None or grant.login_host != login_host:
            raise OAuthError("invalid_grant", "invalid authorization code")
        if grant.expires_at <= now:
            raise OAuthError("invalid_grant", "expired authorization code")
        if grant.client_id != client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if grant.redirect_uri != redirect_uri:
            raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
        if grant.code_challenge is not None:
            if not code_verifier:
                raise OAuthError("invalid_grant", "code verifier is required")
            if not pkce_matches(code_verifier, grant.code_challenge):
                raise OAuthError("invalid_grant", "invalid code verifier")
        elif code_verifier:
            # Guess: a verifier for a code issued without a challenge is refused too.
            raise OAuthError("invalid_grant", "invalid code verifier")
        refresh: str | None = None
        scopes = grant.scope.split()
        if "refresh_token" in scopes or "offline_access" in scopes:
            refresh = "5Aep" + secrets.token_urlsafe(64)
            self.refresh_tokens[refresh] = RefreshToken(
                grant.org_id, grant.user_id, grant.client_id, grant.scope
            )
        token = self._new_access(
            grant.org_id, grant.user_id, client_id, grant.scope, now, session_seconds, refresh
        )
        return token

    def refresh(
        self, *, refresh_token: str, client_id: str, now: float, session_seconds: float
    ) -> tuple[str, AccessToken]:
        grant = self.refresh_tokens.get(refresh_token)
        if grant is None:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        if grant.client_id != client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        return self._new_access(
            grant.org_id, grant.user_id, client_id, grant.scope, now, session_seconds, refresh_token
        )

    def _new_access(
        self,
        org_id: str,
        user_id: str,
        client_id: str,
        scope: str,
        now: float,
        session_seconds: float,
        refresh: str | None,
    ) -> tuple[str, AccessToken]:
        # Salesforce access tokens start with the 15-character org id and an exclamation mark.
        value = f"{org_id[:15]}!AQ" + secrets.token_urlsafe(72)
        token = AccessToken(org_id, user_id, client_id, scope, now, now + session_seconds, refresh)
        self.access_tokens[value] = token
        return value, token

    def revoke(self, value: str) -> bool:
        """Revoke an access or refresh token; revoking a refresh token also revokes the
        access tokens issued from it (Help "Revoke OAuth Tokens")."""
        if self.access_tokens.pop(value, None) is not None:
            return True
        if self.refresh_tokens.pop(value, None) is None:
            return False
        for key in [k for k, t in self.access_tokens.items() if t.refresh_token == value]:
            del self.access_tokens[key]
        return True

    def authenticate(self, value: str, now: float) -> AccessToken | None:
        """The live access token for ``value``, or None if unknown, revoked or expired."""
        token = self.access_tokens.get(value)
        if token is None or token.expires_at <= now:
            return None
        return token

    def forget_org(self, org_id: str) -> None:
        for table in (self.codes, self.access_tokens, self.refresh_tokens, self.web_sessions):
            for key in [k for k, v in table.items() if v.org_id == org_id]:
                del table[key]
