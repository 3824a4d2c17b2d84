"""What the console does when the softphone calls an Open CTI method.

Method names, argument objects and the callback shape ``{success, returnValue, errors}``
follow the Open CTI Developer Guide for Lightning Experience (one page per method, e.g.
``sforce_api_cti_screenpop_lex.htm``; error codes in "Error Messages"). The JavaScript side
(:mod:`devorg.opencti_assets`) relays each call here through the console page.
"""

from __future__ import annotations

from typing import Any

from .dml import DmlError, create_record, update_record
from .schema import object_def
from .soql_parser import SoqlError
from .sosl import ReturningSpec, SearchRequest, run_search, words_of
from .state import OpenCtiState
from .store import OrgData, Record, Store

__all__ = ["METHODS", "handle_call"]

METHODS = (
    "screenPop",
    "searchAndScreenPop",
    "enableClickToDial",
    "disableClickToDial",
    "onClickToDial",
    "onNavigationChange",
    "getAppViewInfo",
    "saveLog",
    "runApex",
    "refreshView",
    "getCallCenterSettings",
    "getSoftphoneLayout",
    "notifyInitializationComplete",
    "setSoftphonePanelVisibility",
    "isSoftphonePanelVisible",
    "setSoftphonePanelHeight",
    "setSoftphonePanelWidth",
    "setSoftphoneItemLabel",
    "setSoftphonePanelLabel",
    "setSoftphoneItemIcon",
    "setSoftphonePanelIcon",
    "subscribe",
    "publish",
    "unsubscribe",
)
# sforce.opencti.SCREENPOP_TYPE: the names are documented (Open CTI guide, screenPop() for
# Lightning Experience), the strings they hold are not; these are what public Open CTI
# clients (type declarations, vendor shims) use, so a client that sends the constant's value
# and one that sends these strings agree. See README, "Guesses".
SCREENPOP_TYPE = {
    "SOBJECT": "sobject",
    "URL": "url",
    "OBJECTHOME": "objecthome",
    "LIST": "list",
    "SEARCH": "search",
    "NEW_RECORD_MODAL": "newRecord",
    "FLOW": "flow",
}
SCREENPOP_TYPES = tuple(SCREENPOP_TYPE.values())
CALL_TYPES = ("inbound", "outbound", "internal")
_LAYOUT_SETTINGS = {
    "screenPopsOpenWithin": "ExistingWindow",
    "NoMatch": {"screenPopType": "PopToEntity", "screenPopData": "Contact"},
    "SingleMatch": {"screenPopType": "PopToEntity"},
    "MultipleMatches": {"screenPopType": "PopToSearch"},
}


def _ok(value: Any = None) -> dict[str, Any]:
    return {"success": True, "returnValue": value, "errors": None}


def _fail(code: str, description: str, details: Any = None) -> dict[str, Any]:
    error = {"code": code, "description": description, "details": details or []}
    return {"success": False, "returnValue": None, "errors": [error]}


def _range(args: dict[str, Any], name: str, low: int, high: int) -> dict[str, Any] | None:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return _fail("INVALID_PARAM", f"{name} must be between {low} and {high}")
    return None


def handle_call(
    store: Store,
    org: OrgData,
    user: Record,
    state: OpenCtiState,
    method: str,
    args: dict[str, Any],
    version: str,
) -> dict[str, Any]:
    """Run one Open CTI method for ``user``; returns the callback's response object."""
    panel = state.panel
    if method not in METHODS:
        return _fail("GENERIC_ERROR", f"{method} is not an Open CTI method")
    if method == "screenPop":
        if args.get("type") not in SCREENPOP_TYPES:
            return _fail("INVALID_PARAM", "type must be a sforce.opencti.SCREENPOP_TYPE")
        params = args.get("params") or {}
        sobject = args["type"] == SCREENPOP_TYPE["SOBJECT"]
        record = org.get(str(params.get("recordId", ""))) if sobject else None
        if sobject and record is None:
            return _fail("INVALID_PARAM", "params.recordId does not name a record")
        panel["view"] = _view(record, params)
        return _ok()
    if method == "searchAndScreenPop":
        return _search_and_pop(store, org, panel, args, version)
    if method in ("enableClickToDial", "disableClickToDial"):
        panel["clickToDialEnabled"] = method == "enableClickToDial"
        return _ok()
    if method in (
        "onClickToDial",
        "onNavigationChange",
        "refreshView",
        "notifyInitializationComplete",
        "unsubscribe",
    ):
        return _ok()
    if method == "getAppViewInfo":
        return _ok(panel.get("view") or {"url": "/lightning/page/home"})
    if method == "saveLog":
        return _save_log(store, org, user, args)
    if method == "runApex":
        return _run_apex(user, args)
    if method == "getCallCenterSettings":
        return _ok(_call_center_settings(org, user))
    if method == "getSoftphoneLayout":
        layout = {
            "objects": {"Contact": [], "Account": [], "Case": []},
            "callRelatedFields": ["ANI", "DNIS"],
            "screenPopSettings": _LAYOUT_SETTINGS,
        }
        return _ok({"Inbound": layout, "Outbound": layout, "Internal": layout})
    if method == "setSoftphonePanelVisibility":
        if not isinstance(args.get("visible"), bool):
            return _fail("INVALID_PARAM", "visible must be a boolean")
        panel["visible"] = args["visible"]
        return _ok()
    if method == "isSoftphonePanelVisible":
        return _ok({"visible": panel["visible"]})
    if method == "setSoftphonePanelHeight":
        return _range(args, "heightPX", 240, 2560) or _ok()
    if method == "setSoftphonePanelWidth":
        return _range(args, "widthPX", 200, 1920) or _ok()
    if method in ("setSoftphoneItemLabel", "setSoftphonePanelLabel"):
        panel["label"] = args.get("label")
        return _ok()
    if method in ("setSoftphoneItemIcon", "setSoftphonePanelIcon"):
        panel["icon"] = args.get("key")
        return _ok()
    if method == "subscribe":
        return _ok({"channelName": args.get("channelName"), "subscription": len(state.calls)})
    return _ok()  # publish


def _view(record: tuple[str, Record] | None, params: dict[str, Any]) -> dict[str, Any]:
    if record is None:
        return {"url": str(params.get("url", "/lightning/page/home"))}
    type_name, fields = record
    return {
        "url": f"/lightning/r/{type_name}/{fields['Id']}/view",
        "recordId": fields["Id"],
        "recordName": fields.get("Name") or fields.get("Subject") or fields.get("CaseNumber"),
        "objectType": type_name,
    }


def _search_and_pop(
    store: Store, org: OrgData, panel: dict[str, Any], args: dict[str, Any], version: str
) -> dict[str, Any]:
    call_type = str(args.get("callType", "")).lower()
    if call_type not in CALL_TYPES:
        return _fail("INVALID_PARAM", "callType must be a sforce.opencti.CALL_TYPE")
    text = str(args.get("searchParams") or "")
    try:
        request = SearchRequest(
            words_of(text),
            "ALL",
            tuple(
                ReturningSpec(name, (("Id",), ("Name",), ("LastModifiedDate",)))
                for name in ("Contact", "Account")
            ),
        )
        found = run_search(request, store.source(org), version)["searchRecords"]
    except SoqlError:
        found = []
    matches = {
        r["Id"]: {
            "Id": r["Id"],
            "Name": r["Name"],
            "RecordType": r["attributes"]["type"],
            "LastModifiedDate": r["LastModifiedDate"],
        }
        for r in found
    }
    if args.get("deferred"):
        return _ok(
            {
                **matches,
                "SCREEN_POP_DATA": {
                    "type": SCREENPOP_TYPE["SEARCH"],
                    "params": {"searchString": text},
                },
            }
        )
    if len(matches) == 1:
        panel["view"] = _view(org.get(next(iter(matches))), {})
    else:
        panel["view"] = {"url": f"/one/one.app#search/{text}"}
    return _ok(matches)


def _save_log(store: Store, org: OrgData, user: Record, args: dict[str, Any]) -> dict[str, Any]:
    value = dict(args.get("value") or {})
    try:
        if value.get("Id"):
            found = org.get(str(value.pop("Id")))
            obj = object_def(found[0]) if found else None
            if found is None or obj is None or not obj.dml:
                return _fail("INVALID_PARAM", "value.Id does not name a record")
            update_record(store, org, obj, found[1], value, user["Id"])
            return _ok({"recordId": found[1]["Id"]})
        obj = object_def(str(value.pop("entityApiName", "")))
        if obj is None or not obj.dml:
            return _fail("INVALID_PARAM", "value.entityApiName or value.Id is required")
        record = create_record(store, org, obj, value, user["Id"])
        return _ok({"recordId": record["Id"]})
    except DmlError as exc:
        return _fail("SERVER_ERROR", "saveLog failed", exc.errors)


def _call_center_settings(org: OrgData, user: Record) -> dict[str, str]:
    found = org.get(str(user.get("CallCenterId") or ""))
    if found is None:
        return {}
    call_center = found[1]
    settings = {
        "/reqGeneralInfo/reqInternalName": str(call_center["InternalName"]),
        "/reqGeneralInfo/reqDisplayName": str(call_center["Name"]),
        "/reqGeneralInfo/reqAdapterUrl": str(call_center.get("AdapterUrl") or ""),
        "/reqGeneralInfo/reqUseApi": "true",
        "/reqGeneralInfo/reqSalesforceCompatibilityMode": "Lightning",
    }
    settings.update(org.call_center_settings.get(call_center["Id"], {}))
    return settings


# The Apex devorg can run: SIVO's package class (lwc/force-app/main/default/classes/
# SIVO_SoftphoneUser.cls), whose webService method answers the running user's id.
_APEX = {("SIVO_SoftphoneUser", "currentUser")}


def _run_apex(user: Record, args: dict[str, Any]) -> dict[str, Any]:
    """runApex's returnValue holds the method's result under ``runApex`` (the Open CTI
    guide's sample output for a webService String method)."""
    key = (str(args.get("apexClass", "")), str(args.get("methodName", "")))
    if key not in _APEX:
        return _fail("GENERIC_ERROR", f"devorg has no Apex method {key[0]}.{key[1]}")
    return _ok({"runApex": str(user["Id"])})
