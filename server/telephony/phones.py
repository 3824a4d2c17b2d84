"""Web phones: the ``/caller`` sockets, their registered numbers, and the call each is on.

This is the carrier side of the process, not a tenant's: a web phone dials any tenant's
published number, and any tenant's agent may dial a registered one. A phone is claimed by
one call at a time; claims and releases are synchronous, so two tenants' shells cannot
claim the same phone between two awaits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .errors import TelephonyError

logger = logging.getLogger(__name__)


@dataclass
class WebPhone:
    sid: str
    address: str
    number: str | None = None  # registered, so that agents can dial it
    call_id: str | None = None  # at most one call
    tenant_id: str | None = None  # the tenant whose call it is on


class WebPhones:
    def __init__(self) -> None:
        self._phones: dict[str, WebPhone] = {}
        self._numbers: dict[str, str] = {}  # registered number -> sid

    def connect(self, sid: str, address: str) -> None:
        self._phones[sid] = WebPhone(sid=sid, address=address)

    def disconnect(self, sid: str) -> WebPhone | None:
        phone = self._phones.pop(sid, None)
        if phone is not None and phone.number is not None:
            if self._numbers.get(phone.number) == sid:
                del self._numbers[phone.number]
        return phone

    def get(self, sid: str) -> WebPhone | None:
        return self._phones.get(sid)

    def connected(self, sid: str | None) -> bool:
        return sid is not None and sid in self._phones

    def find(self, number: str) -> WebPhone | None:
        """The web phone that registered ``number``, if it is still connected."""
        return self._phones.get(self._numbers.get(number, ""))

    def register(self, sid: str, number: str) -> None:
        phone = self._phones[sid]
        owner = self._numbers.get(number)
        if owner is not None and owner != sid:
            raise TelephonyError("number_taken", "this number is taken", "number")
        if phone.number is not None and phone.number != number:
            self._numbers.pop(phone.number, None)
        phone.number = number
        self._numbers[number] = sid
        logger.info("web phone %s registered %s", sid, number)

    def unregister(self, sid: str) -> None:
        phone = self._phones[sid]
        if phone.number is not None and self._numbers.get(phone.number) == sid:
            del self._numbers[phone.number]
        phone.number = None

    def claim(self, sid: str, call_id: str, tenant_id: str) -> bool:
        """Reserve the phone for a call; False if it is gone or on another call."""
        phone = self._phones.get(sid)
        if phone is None or phone.call_id is not None:
            return False
        phone.call_id, phone.tenant_id = call_id, tenant_id
        return True

    def release(self, sid: str, call_id: str) -> None:
        phone = self._phones.get(sid)
        if phone is not None and phone.call_id == call_id:
            phone.call_id = phone.tenant_id = None
