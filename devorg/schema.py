"""The sObjects devorg knows, with the fields and relationships SIVO uses.

Field names, types and key prefixes follow the Salesforce Object Reference (pages for
Organization, User, CallCenter, Account, Contact, Case, Task, VoiceCall, Conversation,
ConversationEntry and VoiceCallRecording). Where the reference is silent (key prefixes of
the Voice objects, ``Conversation.RelatedRecordId``) the choice is listed under "Guesses" in
``devorg/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EXTERNAL_ID_FIELD", "SCHEMA", "FieldDef", "ObjectDef", "object_def"]

# Field types, as the describe call names them.
ID, STRING, PHONE, EMAIL, BOOLEAN = "id", "string", "phone", "email", "boolean"
INT, DATETIME, DATE, REFERENCE, PICKLIST, TEXTAREA, URL = (
    "int",
    "datetime",
    "date",
    "reference",
    "picklist",
    "textarea",
    "url",
)
TEXT_TYPES = frozenset({ID, STRING, PHONE, EMAIL, REFERENCE, PICKLIST, TEXTAREA, URL})


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    writable: bool = True  # createable and updateable through the REST API
    required: bool = False  # REQUIRED_FIELD_MISSING on create when absent
    reference_to: str | None = None
    relationship: str | None = None  # relationship name, e.g. "Account" for AccountId
    external_id: bool = False  # usable in /sobjects/{Type}/{field}/{value} (upsert)
    unique: bool = False  # DUPLICATE_VALUE when another record has the value (case-insensitive)


class ObjectDef:
    """One sObject: its key prefix, fields, and what the REST API lets clients do with it."""

    def __init__(
        self,
        name: str,
        key_prefix: str,
        fields: dict[str, FieldDef],
        *,
        dml: bool = False,
        name_fields: tuple[str, ...] = ("Name",),
        defaults: dict[str, object] | None = None,
    ) -> None:
        self.name = name
        self.key_prefix = key_prefix
        self.fields = fields
        self.dml = dml  # create/update through /sobjects (devorg: Contact, Account, Case, Task)
        self.name_fields = name_fields
        self.defaults = defaults or {}
        self._lower = {k.lower(): v for k, v in fields.items()}
        self._relationships = {f.relationship.lower(): f for f in fields.values() if f.relationship}

    def field(self, name: str) -> FieldDef | None:
        """Case-insensitive field lookup, as SOQL field names are case-insensitive."""
        return self._lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship name is ``name`` (case-insensitive)."""
        return self._relationships.get(name.lower())

    def phone_fields(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.type == PHONE]

    def unique_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.unique]


def _ro(name: str, type_: str) -> FieldDef:
    return FieldDef(name, type_, writable=False)


def _ref(name: str, target: str, *, writable: bool = True) -> FieldDef:
    return FieldDef(name, REFERENCE, writable=writable, reference_to=target, relationship=name[:-2])


# Objects without IsDeleted: they cannot be deleted through the API (Object Reference).
_NOT_DELETABLE = frozenset({"Organization", "User", "CallCenter"})


EXTERNAL_ID_FIELD = "External_Id__c"


def _external_id() -> FieldDef:
    # A custom External ID field (unique, case-insensitive), as an admin adds one for upserts;
    # standard objects have none of their own (see README, "Guesses").
    return FieldDef(EXTERNAL_ID_FIELD, STRING, external_id=True, unique=True)


def _system_fields(name: str) -> list[FieldDef]:
    # System fields present on every object (Object Reference, "System Fields").
    deleted = [] if name in _NOT_DELETABLE else [_ro("IsDeleted", BOOLEAN)]
    return [
        _ro("Id", ID),
        *deleted,
        _ro("CreatedDate", DATETIME),
        _ro("LastModifiedDate", DATETIME),
        _ro("SystemModstamp", DATETIME),
        FieldDef(
            "CreatedById", REFERENCE, writable=False, reference_to="User", relationship="CreatedBy"
        ),
        FieldDef(
            "LastModifiedById",
            REFERENCE,
            writable=False,
            reference_to="User",
            relationship="LastModifiedBy",
        ),
    ]


def _object(
    name: str,
    prefix: str,
    fields: list[FieldDef],
    *,
    dml: bool = False,
    name_fields: tuple[str, ...] = ("Name",),
    defaults: dict[str, object] | None = None,
) -> ObjectDef:
    all_fields = {f.name: f for f in _system_fields(name) + fields}
    return ObjectDef(name, prefix, all_fields, dml=dml, name_fields=name_fields, defaults=defaults)


def _owner() -> FieldDef:
    return FieldDef("OwnerId", REFERENCE, reference_to="User", relationship="Owner")


_OBJECTS = [
    _object(
        "Organization",
        "00D",
        [
            _ro("Name", STRING),
            _ro("IsSandbox", BOOLEAN),
            _ro("OrganizationType", STRING),
            _ro("InstanceName", STRING),
            _ro("NamespacePrefix", STRING),
            _ro("TimeZoneSidKey", PICKLIST),
            _ro("LanguageLocaleKey", PICKLIST),
        ],
    ),
    _object(
        "User",
        "005",
        [
            _ro("Username", STRING),
            _ro("Email", EMAIL),
            _ro("Name", STRING),
            _ro("FirstName", STRING),
            _ro("LastName", STRING),
            _ro("Alias", STRING),
            _ro("IsActive", BOOLEAN),
            _ro("UserType", PICKLIST),
            _ro("Phone", PHONE),
            _ro("MobilePhone", PHONE),
            _ro("Title", STRING),
            _ref("CallCenterId", "CallCenter", writable=False),
            _ro("TimeZoneSidKey", PICKLIST),
            _ro("LanguageLocaleKey", PICKLIST),
        ],
    ),
    _object(
        "CallCenter",
        "04v",
        [
            _ro("Name", STRING),
            _ro("InternalName", STRING),
            _ro("AdapterUrl", URL),
            _ro("CustomSettings", TEXTAREA),
            _ro("Version", STRING),
        ],
    ),
    _object(
        "Account",
        "001",
        [
            FieldDef("Name", STRING, required=True),
            FieldDef("Phone", PHONE),
            FieldDef("Fax", PHONE),
            FieldDef("Type", PICKLIST),
            FieldDef("Industry", PICKLIST),
            FieldDef("Website", URL),
            FieldDef("BillingCity", STRING),
            FieldDef("BillingCountry", STRING),
            FieldDef("Description", TEXTAREA),
            _external_id(),
            _owner(),
        ],
        dml=True,
    ),
    _object(
        "Contact",
        "003",
        [
            FieldDef("FirstName", STRING),
            FieldDef("LastName", STRING, required=True),
            _ro("Name", STRING),  # compound of FirstName and LastName, read-only
            FieldDef("Email", EMAIL),
            FieldDef("Phone", PHONE),
            FieldDef("MobilePhone", PHONE),
            FieldDef("HomePhone", PHONE),
            FieldDef("OtherPhone", PHONE),
            FieldDef("AssistantPhone", PHONE),
            FieldDef("Fax", PHONE),
            FieldDef("Title", STRING),
            FieldDef("Description", TEXTAREA),
            _ref("AccountId", "Account"),
            _external_id(),
            _owner(),
        ],
        dml=True,
        name_fields=("Name", "FirstName", "LastName"),
    ),
    _object(
        "Case",
        "500",
        [
            _ro("CaseNumber", STRING),
            FieldDef("Subject", STRING),
            FieldDef("Description", TEXTAREA),
            FieldDef("Status", PICKLIST),
            FieldDef("Priority", PICKLIST),
            FieldDef("Origin", PICKLIST),
            _ro("IsClosed", BOOLEAN),
            _ref("ContactId", "Contact"),
            _ref("AccountId", "Account"),
            # SuppliedPhone is a string, not a phone field (Object Reference, Case).
            FieldDef("SuppliedPhone", STRING),
            FieldDef("SuppliedEmail", EMAIL),
            FieldDef("SuppliedName", STRING),
            # Mirrored from the Contact, read-only (Object Reference, Case).
            _ro("ContactPhone", PHONE),
            _ro("ContactMobile", PHONE),
            _ro("ContactEmail", EMAIL),
            _external_id(),
            _owner(),
        ],
        dml=True,
        name_fields=("Subject", "CaseNumber"),
        defaults={"Status": "New", "Priority": "Medium", "IsClosed": False},
    ),
    _object(
        "Task",
        "00T",
        [
            FieldDef("Subject", STRING),
            FieldDef("Description", TEXTAREA),
            FieldDef("Status", PICKLIST),
            FieldDef("Priority", PICKLIST),
            FieldDef("ActivityDate", DATE),
            FieldDef("WhoId", REFERENCE, relationship="Who"),
            FieldDef("WhatId", REFERENCE, relationship="What"),
            FieldDef("CallType", PICKLIST),
            FieldDef("CallDurationInSeconds", INT),
            FieldDef("CallObject", STRING),
            FieldDef("CallDisposition", STRING),
            FieldDef("TaskSubtype", PICKLIST),
            _ro("IsClosed", BOOLEAN),
            _owner(),
        ],
        dml=True,
        name_fields=("Subject",),
        defaults={"Status": "Not Started", "Priority": "Normal", "IsClosed": False},
    ),
    _object(
        "VoiceCall",
        "0LQ",
        [
            _ro("Name", STRING),
            _ro("VendorCallKey", STRING),
            _ro("CallDisposition", STRING),
            # 63.0+, "For internal use only": queryable, but SCRT2 never sets it (Guess: null).
            _ro("CallStatus", PICKLIST),
            _ro("CallType", PICKLIST),
            _ro("CallOrigin", PICKLIST),
            _ro("CallSubtype", PICKLIST),
            _ro("FromPhoneNumber", PHONE),
            _ro("ToPhoneNumber", PHONE),
            _ro("CallStartDateTime", DATETIME),
            _ro("CallEndDateTime", DATETIME),
            _ro("CallAcceptDateTime", DATETIME),
            _ro("CallQueuedDateTime", DATETIME),
            _ro("CallDurationInSeconds", INT),
            _ref("OwnerId", "User", writable=False),
            _ref("UserId", "User", writable=False),
            _ref("CallCenterId", "CallCenter", writable=False),
            _ref("ConversationId", "Conversation", writable=False),
            _ref("PreviousCallId", "VoiceCall", writable=False),
            _ref("NextCallId", "VoiceCall", writable=False),
            FieldDef("RelatedRecordId", REFERENCE, writable=False, relationship="RelatedRecord"),
            _ref("CallRecordingId", "VoiceCallRecording", writable=False),
            _ro("IsRecorded", BOOLEAN),
            _ro("CustomerHoldDuration", INT),
            _ro("LongestHoldDuration", INT),
            _ro("NumberOfHolds", INT),
            _ro("QueueName", STRING),
            _ro("DisconnectReason", STRING),
            _ro("SourceType", PICKLIST),
            _ro("VendorType", PICKLIST),
        ],
    ),
    _object(
        "Conversation",
        "0dw",
        [
            _ro("Name", STRING),
            _ro("ConversationIdentifier", STRING),
            _ref("ConversationChannelId", "CallCenter", writable=False),
            _ro("StartTime", DATETIME),
            _ro("EndTime", DATETIME),
            # Guess: links the Conversation to its VoiceCall (see README "Guesses").
            _ref("RelatedRecordId", "VoiceCall", writable=False),
        ],
    ),
    _object(
        "ConversationEntry",
        "0XK",
        [
            _ref("ConversationId", "Conversation", writable=False),
            _ro("ActorId", REFERENCE),
            _ro("ActorName", STRING),
            _ro("ActorType", PICKLIST),
            _ro("EntryType", PICKLIST),
            _ro("EntryTime", DATETIME),
            _ro("EntryEndTime", DATETIME),
            _ro("EntryTimeMilliSecs", INT),
            _ro("ClientTimestamp", INT),
            _ro("ClientDuration", INT),
            _ro("ServerReceivedTimestamp", INT),
            _ro("Message", TEXTAREA),
            _ro("MessageIdentifier", STRING),
            _ro("MessageStatus", PICKLIST),
            _ro("Seq", INT),
            _ro("HasAttachments", BOOLEAN),
        ],
        name_fields=(),
    ),
    _object(
        "VoiceCallRecording",
        "0VR",
        [
            _ro("Name", STRING),
            _ref("VoiceCallId", "VoiceCall", writable=False),
            _ro("DurationInSeconds", INT),
            _ro("MediaContentId", REFERENCE),
            _ro("UploadDateTime", DATETIME),
            _ro("IsConsented", BOOLEAN),
            _ref("OwnerId", "User", writable=False),
        ],
    ),
]

SCHEMA: dict[str, ObjectDef] = {o.name: o for o in _OBJECTS}
_SCHEMA_LOWER = {name.lower(): o for name, o in SCHEMA.items()}
KEY_PREFIXES: dict[str, str] = {o.key_prefix: o.name for o in _OBJECTS}


def object_def(name: str) -> ObjectDef | None:
    """Case-insensitive sObject lookup (SOQL ``FROM contact`` works in Salesforce)."""
    return _SCHEMA_LOWER.get(name.lower())
