"""Describe results from devorg's schema: ``GET /sobjects`` and ``/sobjects/{Type}/describe``.

Shapes follow the REST API Developer Guide ("Describe Global", "sObject Describe") and the
SOAP API's DescribeSObjectResult / Field properties they mirror: per field ``name``,
``type``, ``label``, ``length``, ``nillable``, ``createable``, ``updateable``,
``externalId``, ``unique``, ``referenceTo``, ``relationshipName``, ``picklistValues``,
``soapType`` and the rest. Labels, lengths and picklist values are devorg's choices (close to
a fresh org's) where the schema does not carry them. Pure.
"""

from __future__ import annotations

import re
from typing import Any

from .dml import CREATE_ONLY, RESTRICTED
from .schema import (
    BOOLEAN,
    DATE,
    DATETIME,
    EMAIL,
    ID,
    INT,
    PHONE,
    PICKLIST,
    REFERENCE,
    SCHEMA,
    STRING,
    TEXTAREA,
    URL,
    FieldDef,
    ObjectDef,
)
from .sosl import SEARCHABLE

__all__ = ["describe_global", "describe_sobject", "object_summary"]

_LENGTH = {STRING: 255, PHONE: 40, EMAIL: 80, URL: 255, TEXTAREA: 32000, PICKLIST: 255}
_LENGTH_OF_FIELD = {"FirstName": 40, "LastName": 80, "Title": 128, "Alias": 8}
_SOAP_TYPE = {
    ID: "tns:ID",
    REFERENCE: "tns:ID",
    BOOLEAN: "xsd:boolean",
    INT: "xsd:int",
    DATETIME: "xsd:dateTime",
    DATE: "xsd:date",
}
_SYSTEM = frozenset(
    {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"}
    | {"CreatedById", "LastModifiedById"}
)
_POLYMORPHIC = {"WhoId": ["Contact"], "WhatId": ["Account", "Case"], "ActorId": ["User"]}
_NAME_FIELD = {"Case": "CaseNumber", "Task": "Subject"}
_AUTONUMBER = frozenset({("Case", "CaseNumber")})
_PICKLISTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Case", "Status"): ("New", "Working", "Escalated", "Closed"),
    ("Case", "Priority"): ("High", "Medium", "Low"),
    ("Case", "Origin"): ("Phone", "Email", "Web"),
    ("Task", "Status"): ("Not Started", "In Progress", "Completed", "Waiting on someone else"),
    ("Task", "Priority"): ("High", "Normal", "Low"),
    ("Task", "CallType"): ("Internal", "Inbound", "Outbound"),
    ("Task", "TaskSubtype"): ("Task", "Email", "ListEmail", "Cadence", "Call"),
    ("Account", "Type"): ("Prospect", "Customer - Direct", "Customer - Channel", "Other"),
}
_RECORD_TYPE_MASTER = "012000000000000AAA"


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.removesuffix("__c").replace("_", " "))


def _object_label(obj: ObjectDef) -> tuple[str, str]:
    label = _words(obj.name)
    plural = label[:-1] + "ies" if label.endswith("y") else label + "s"
    return label, plural


def _field_label(obj: ObjectDef, field: FieldDef) -> str:
    if field.name == "Id":
        return f"{_object_label(obj)[0]} ID"
    if field.type in (REFERENCE, ID) and field.name.endswith("Id"):
        return _words(field.name[:-2]) + " ID"
    return _words(field.name)


def _name_field(obj: ObjectDef) -> str | None:
    return "Name" if "Name" in obj.fields else _NAME_FIELD.get(obj.name)


def _picklist_values(obj: ObjectDef, field: FieldDef) -> list[dict[str, Any]]:
    default = obj.defaults.get(field.name)
    return [
        {"active": True, "defaultValue": v == default, "label": v, "validFor": None, "value": v}
        for v in _PICKLISTS.get((obj.name, field.name), ())
    ]


def _field(obj: ObjectDef, field: FieldDef) -> dict[str, Any]:
    type_ = field.type
    length = _LENGTH_OF_FIELD.get(
        field.name, _LENGTH.get(type_, 18 if type_ in (ID, REFERENCE) else 0)
    )
    long_text = type_ == TEXTAREA
    system = field.name in _SYSTEM
    name_field = _name_field(obj) == field.name
    defaulted = (
        system
        or field.name == "OwnerId"
        or type_ == BOOLEAN
        or field.name in obj.defaults
        or (obj.name, field.name) in _AUTONUMBER
    )
    reference_to = [field.reference_to] if field.reference_to else _POLYMORPHIC.get(field.name, [])
    polymorphic = type_ == REFERENCE and field.reference_to is None
    return {
        "aggregatable": not long_text,
        "aiPredictionField": False,
        "autoNumber": (obj.name, field.name) in _AUTONUMBER,
        "byteLength": length * 3 if type_ not in (BOOLEAN, INT, DATETIME, DATE) else 0,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": field.writable,
        "custom": field.name.endswith("__c"),
        "defaultValue": False if type_ == BOOLEAN else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": defaulted,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 9 if type_ == INT else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": field.external_id,
        "extraTypeInfo": "plaintextarea" if long_text else None,
        "filterable": not long_text,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": not long_text and type_ not in (DATETIME,),
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": field.name == "Id" or field.external_id or name_field,
        "inlineHelpText": None,
        "label": _field_label(obj, field),
        "length": length,
        "mask": None,
        "maskType": None,
        "name": field.name,
        "nameField": name_field,
        "namePointing": polymorphic,
        "nillable": not (system or field.required or type_ == BOOLEAN or field.name == "OwnerId"),
        "permissionable": not (system or field.required or field.name == "OwnerId"),
        "picklistValues": _picklist_values(obj, field) if type_ == PICKLIST else [],
        "polymorphicForeignKey": polymorphic,
        "precision": 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": reference_to if type_ in (REFERENCE, ID) and field.name != "Id" else [],
        "relationshipName": field.relationship,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": (obj.name, field.name) in RESTRICTED,
        "scale": 0,
        "searchPrefilterable": False,
        "soapType": _SOAP_TYPE.get(type_, "xsd:string"),
        "sortable": not long_text,
        "type": type_,
        "unique": field.unique,
        "updateable": field.writable and (obj.name, field.name) not in CREATE_ONLY,
        "writeRequiresMasterRead": False,
    }


def _urls(obj: ObjectDef, version: str, *, full: bool) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    urls = {
        "rowTemplate": f"{base}/{{ID}}",
        "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
        "describe": f"{base}/describe",
        "sobject": base,
    }
    if full:
        urls.update(
            compactLayouts=f"{base}/describe/compactLayouts",
            layouts=f"{base}/describe/layouts",
            quickActions=f"{base}/quickActions",
        )
    return urls


def object_summary(obj: ObjectDef, version: str) -> dict[str, Any]:
    """One entry of Describe Global (and ``objectDescribe`` of sObject Basic Information)."""
    label, plural = _object_label(obj)
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": obj.dml,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": obj.dml,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": label,
        "labelPlural": plural,
        "layoutable": True,
        "mergeable": obj.name in ("Account", "Contact"),
        "mruEnabled": True,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": obj.name in SEARCHABLE,
        "triggerable": True,
        "undeletable": obj.dml,
        "updateable": obj.dml,
        "urls": _urls(obj, version, full=False),
    }


def _child_relationships(obj: ObjectDef) -> list[dict[str, Any]]:
    children = []
    for child in SCHEMA.values():
        for field in child.fields.values():
            if field.reference_to != obj.name or field.name in _SYSTEM:
                continue
            children.append(
                {
                    "cascadeDelete": False,
                    "childSObject": child.name,
                    "deprecatedAndHidden": False,
                    "field": field.name,
                    "junctionIdListNames": [],
                    "junctionReferenceTo": [],
                    "relationshipName": _object_label(child)[1].replace(" ", "")
                    if field.name == f"{obj.name}Id"
                    else None,
                    "restrictedDelete": False,
                }
            )
    return children


def describe_sobject(obj: ObjectDef, version: str) -> dict[str, Any]:
    """``GET /sobjects/{Type}/describe``: the object's properties and every field."""
    body = object_summary(obj, version)
    body.update(
        actionOverrides=[],
        childRelationships=_child_relationships(obj),
        compactLayoutable=True,
        defaultImplementation=None,
        extendedBy=None,
        extendsInterfaces=None,
        fields=[_field(obj, f) for f in obj.fields.values()],
        implementedBy=None,
        implementsInterfaces=None,
        listviewable=None,
        lookupLayoutable=None,
        namedLayoutInfos=[],
        networkScopeFieldName=None,
        recordTypeInfos=[
            {
                "active": True,
                "available": True,
                "defaultRecordTypeMapping": True,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": _RECORD_TYPE_MASTER,
                "urls": {
                    "layout": f"/services/data/v{version}/sobjects/{obj.name}"
                    f"/describe/layouts/{_RECORD_TYPE_MASTER}"
                },
            }
        ],
        searchLayoutable=True,
        sobjectDescribeOption="FULL",
        supportedScopes=[],
        urls=_urls(obj, version, full=True),
    )
    return dict(sorted(body.items()))


def describe_global(version: str) -> dict[str, Any]:
    """``GET /sobjects``: ``{encoding, maxBatchSize, sobjects}``."""
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_summary(o, version) for o in sorted(SCHEMA.values(), key=_name)],
    }


def _name(obj: ObjectDef) -> str:
    return obj.name
