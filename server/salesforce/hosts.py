"""Which Salesforce hosts SIVO talks to. Pure.

An admin chooses where to log in: production, sandbox, or a My Domain URL they type. What
they type becomes a host SIVO's server sends a token request to, so it is held to the
shapes Salesforce documents (``https://X.my.salesforce.com``, a sandbox's
``https://X--Y.sandbox.my.salesforce.com``) or to the configured login hosts (the emulated
org in tests and the demo). The instance URL and identity URL a token response names are
held to the same rule before SIVO sends a token there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.failures import Invalid

_MY_DOMAIN = re.compile(
    r"(?P<name>[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?)(?P<sandbox>--[a-z0-9]+\.sandbox)?"
    r"\.my\.salesforce\.com"
)
# Hosts of Salesforce's own login and identity services.
_SALESFORCE = re.compile(r"(?:[a-z0-9-]+\.)*(?:salesforce\.com|force\.com)")


@dataclass(frozen=True)
class LoginTarget:
    url: str  # the origin SIVO sends the admin to, and redeems the code at
    environment: str  # production | sandbox | my_domain
    how: str  # what the admin chose, for the dashboard


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class SalesforceHosts:
    production: str
    sandbox: str

    def login_target(self, choice: str) -> LoginTarget:
        """``production``, ``sandbox``, or a My Domain URL (``acme.my.salesforce.com``)."""
        if choice == "production":
            return LoginTarget(self.production, "production", "production login")
        if choice == "sandbox":
            return LoginTarget(self.sandbox, "sandbox", "sandbox login")
        raw = choice.strip().lower()
        if "://" not in raw:
            raw = f"https://{raw}"
        try:
            parts = urlsplit(raw)
            host = parts.hostname or ""
            port = parts.port
        except ValueError as exc:
            raise Invalid("login", "enter a My Domain URL, like acme.my.salesforce.com") from exc
        if origin(raw) in self._configured() and not parts.username:
            return LoginTarget(origin(raw), "my_domain", f"My Domain {origin(raw)}")
        if (
            parts.scheme != "https"
            or port not in (None, 443)
            or parts.username is not None
            or not _MY_DOMAIN.fullmatch(host)
        ):
            raise Invalid(
                "login",
                "a My Domain URL looks like https://acme.my.salesforce.com "
                "(or https://acme--uat.sandbox.my.salesforce.com for a sandbox)",
            )
        return LoginTarget(f"https://{host}", "my_domain", f"My Domain {host}")

    def trusted(self, url: str) -> bool:
        """May SIVO send an org's token to this URL (an instance or identity URL)?"""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            port = parts.port
        except ValueError:
            return False
        if origin(url) in self._configured():
            return True
        return parts.scheme == "https" and port in (None, 443) and bool(_SALESFORCE.fullmatch(host))

    def _configured(self) -> set[str]:
        return {origin(self.production), origin(self.sandbox)}


def my_domain_name(instance_url: str) -> str | None:
    """``acme`` of ``https://acme.my.salesforce.com`` (``acme--uat`` for a sandbox)."""
    match = _MY_DOMAIN.fullmatch(urlsplit(instance_url).hostname or "")
    if match is None:
        return None
    sandbox = match.group("sandbox")
    return match.group("name") + (sandbox.removesuffix(".sandbox") if sandbox else "")


def scrt_base_url(instance_url: str, is_sandbox: bool) -> str | None:
    """The SCRT2 base URL derived from the My Domain (reference §2.1); None off Salesforce.

    Production: ``https://{MyDomain}.my.salesforce-scrt.com``. Sandbox (uncertain in the
    reference): ``https://{MyDomain}--{Sandbox}.sandbox.my.salesforce-scrt.com``.
    """
    name = my_domain_name(instance_url)
    if name is None:
        return None
    if is_sandbox and "--" in name:
        return f"https://{name}.sandbox.my.salesforce-scrt.com"
    return f"https://{name}.my.salesforce-scrt.com"


def lightning_origin(instance_url: str) -> str:
    """The origin of the org's Lightning pages (where the package's component runs):
    ``https://acme.lightning.force.com``, ``https://acme--uat.sandbox.lightning.force.com``;
    off Salesforce (the emulated org) the instance's own origin."""
    name = my_domain_name(instance_url)
    if name is None:
        return origin(instance_url)
    if "--" in name:
        return f"https://{name}.sandbox.lightning.force.com"
    return f"https://{name}.lightning.force.com"
