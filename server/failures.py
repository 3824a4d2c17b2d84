"""What a service refuses, independent of how the refusal reaches the client.

Services raise these; the web layer renders them in the one error shape (``server.errors``)
and the signaling layer as an error ack. A service never imports aiohttp to say "no".

Hierarchy::

    Failure(code, message, field)
    ├── Invalid      the request is malformed or breaks a rule (HTTP 422)
    ├── Unauthenticated  the credential presented proves nothing (HTTP 401)
    ├── Forbidden    it proves who is asking, who may not have this (HTTP 403)
    ├── NotFound     no such thing for this tenant (HTTP 404)
    ├── Conflict     it collides with what exists (HTTP 409)
    ├── Gone         it existed and cannot be served any more (HTTP 410)
    └── Upstream     a party SIVO depends on (Salesforce) refused or failed (HTTP 502)
"""

from __future__ import annotations


class Failure(Exception):
    """A refused request; ``code`` is the stable, machine-readable reason."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Invalid(Failure):
    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(code, message, field)


class NotFound(Failure):
    def __init__(self, what: str = "resource") -> None:
        super().__init__("not_found", f"{what} not found")


class Conflict(Failure):
    pass


class Gone(Failure):
    pass


class Upstream(Failure):
    pass


class Unauthenticated(Failure):
    pass


class Forbidden(Failure):
    pass
