"""What the softphone's browser routes take (``/softphone/session``; not part of /api/v1).

They answer ``AgentSignIn`` (``server.schemas.salesforce``), the exchange's response.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from .base import Body

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
Ticket = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20,200}$")]


class SoftphoneTicket(Body):
    """The one-time ticket the sign-in popup posted to the softphone."""

    ticket: Ticket = Field(description="Valid 60 seconds, once.")


# A Salesforce record id: 15 characters, or 18 with the case-safe suffix.
SalesforceUserId = Annotated[
    str, StringConstraints(pattern=r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")
]


class SoftphoneTokenRequest(Body):
    """``POST /softphone/session/token``: who the console says is signed in, when it can."""

    console_user_id: SalesforceUserId | None = Field(
        default=None,
        description="The Salesforce user of the console the softphone runs in (Open CTI "
        "runApex of the package's SIVO_SoftphoneUser.currentUser); another user than the "
        "session's ends the session.",
    )
