"""How SIVO reaches Salesforce: its External Client App and the login hosts.

- ``SIVO_SALESFORCE_CLIENT_ID``: the External Client App's consumer key (required to connect)
- ``SIVO_SALESFORCE_CLIENT_SECRET``: its secret, when the app requires one (PKCE alone
  otherwise)
- ``SIVO_SALESFORCE_LOGIN_URL`` / ``SIVO_SALESFORCE_SANDBOX_LOGIN_URL``:
  ``https://login.salesforce.com`` / ``https://test.salesforce.com``; the emulated org in
  tests and the demo
- ``SIVO_SALESFORCE_CA_BUNDLE``: a CA file trusted in addition to the system's (tests)
- ``SIVO_SALESFORCE_API_VERSION``: ``68.0``
- ``SIVO_SALESFORCE_SOFTPHONE_SESSION_TTL_S``: ``43200`` (12 h); how long an agent stays
  signed in to the softphone in the console after the Salesforce popup, at most
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PRODUCTION_LOGIN = "https://login.salesforce.com"
SANDBOX_LOGIN = "https://test.salesforce.com"
API_VERSION = "68.0"


@dataclass(frozen=True)
class SalesforceSettings:
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    login_url: str = PRODUCTION_LOGIN
    sandbox_login_url: str = SANDBOX_LOGIN
    ca_bundle: Path | None = None
    api_version: str = API_VERSION
    timeout_s: float = 20.0
    softphone_session_ttl_s: float = 43200.0
