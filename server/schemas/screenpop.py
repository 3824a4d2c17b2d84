"""Screen pops as the API shows them: the caller's number, the ``screenPop`` argument, the
matches for a chooser, and a tenant's screen-pop settings.

``screen_pop`` is exactly what the softphone passes to ``sforce.opencti.screenPop`` (add a
``callback``): ``type`` is the string the ``sforce.opencti.SCREENPOP_TYPE`` constant holds,
``params`` keep Salesforce's own names (``recordId``, ``searchString``, ``entityName``,
``defaultFieldValues``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from server.text import single_line

from .base import Id, Patch, Query, View

PopStatus = Literal["found", "none", "several", "invalid_number", "failed"]
DEFAULT_TIMEOUT_MS = 5000

_NO_CONTROL = r"^[^\u0000-\u001f\u007f-\u009f]*$"


def _one_line(value: str) -> str:
    if not single_line(value):
        raise PydanticCustomError("invalid", "must not contain control characters")
    return value


CallerNumber = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_one_line),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "pattern": _NO_CONTROL,
            "example": "(415) 555-1212",
        }
    ),
]
"""A number as it arrived: E.164, national, with spaces, dashes or parentheses."""


def _region(value: str) -> str:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise PydanticCustomError("invalid", "must be a region phonenumbers knows, e.g. US, GB")
    return value


Region = Annotated[
    str,
    StringConstraints(min_length=2, max_length=2),
    AfterValidator(_region),
    WithJsonSchema({"type": "string", "pattern": r"^[A-Z]{2}$", "example": "US"}),
]
"""An ISO 3166-1 alpha-2 region, upper case (``US``, ``GB``, ``DE``)."""


class ScreenPopQuery(Query):
    number: CallerNumber = Field(
        description="The caller's number in any common form; percent-encode its `+` (%2B)."
    )
    org_id: Id = Field(
        description="The Salesforce org id (18 or 15 characters) or SIVO's `sfo_…` id."
    )
    timeout_ms: int = Field(
        default=DEFAULT_TIMEOUT_MS,
        ge=50,
        le=20_000,
        description="How long to wait for Salesforce before answering `failed`.",
    )


class CacheQuery(Query):
    number: CallerNumber
    org_id: Id


class SObjectParams(View):
    recordId: str  # Salesforce's names, as screenPop takes them


class SearchParams(View):
    searchString: str


class NewRecordParams(View):
    entityName: str
    defaultFieldValues: dict[str, str]


class SObjectPop(View):
    """``sforce.opencti.SCREENPOP_TYPE.SOBJECT``: open the record."""

    type: Literal["sobject"]
    params: SObjectParams


class SearchPop(View):
    """``SCREENPOP_TYPE.SEARCH``: Salesforce's search (Top Results) for the string."""

    type: Literal["search"]
    params: SearchParams


class NewRecordPop(View):
    """``SCREENPOP_TYPE.NEW_RECORD_MODAL``: a new record, its fields prefilled."""

    type: Literal["newRecord"]
    params: NewRecordParams


ScreenPop = Annotated[SObjectPop | SearchPop | NewRecordPop, Field(discriminator="type")]


class Match(View):
    """A record whose phone field holds the caller's number."""

    type: Literal["Contact", "Account", "Case"]
    id: str
    name: str = Field(description="A Case's Subject (or its number).")
    phone: str | None = Field(default=None, description="Phone (a Case's ContactPhone).")
    mobile_phone: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    case_number: str | None = None


class ScreenPopResult(View):
    """What to pop for a caller, and the records it was chosen from."""

    number_e164: str | None = Field(description="Null when the number is not one.")
    status: PopStatus = Field(
        description="found: one record; several: a search pop and a chooser; none: a new "
        "Contact; invalid_number: no lookup made; failed: Salesforce failed or was too slow."
    )
    screen_pop: ScreenPop | None = Field(
        description="The argument of sforce.opencti.screenPop; null for invalid_number."
    )
    matches: list[Match]
    cached: bool = False


class ScreenPopSettings(View):
    default_region: str = Field(description="Where a number without a country code is read.")
    prefer_case: bool = Field(description="Pop a single Contact's only open Case instead.")


class ScreenPopSettingsUpdate(Patch):
    default_region: Region | None = None
    prefer_case: bool | None = None

    model_config = {"json_schema_extra": {"examples": [{"default_region": "GB"}]}}
