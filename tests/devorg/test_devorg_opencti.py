"""Open CTI script, console page and the console relay."""

from __future__ import annotations

from typing import Any

from yarl import URL

from devorg.opencti import METHODS
from devorg.testing import ReadyOrg, RunningDevorg

SOFTPHONE = "http://127.0.0.1:9/softphone"


async def test_script_exposes_documented_methods(sf: RunningDevorg) -> None:
    async with sf.session.get(
        f"{sf.base_url}/support/api/66.0/lightning/opencti_min.js"
    ) as response:
        assert response.status == 200
        assert response.content_type == "application/javascript"
        script = await response.text()
    for method in (
        "screenPop",
        "searchAndScreenPop",
        "onClickToDial",
        "onNavigationChange",
        "saveLog",
        "enableClickToDial",
        "getCallCenterSettings",
    ):
        assert f'"{method}"' in script
    assert "window.sforce.opencti" in script and "sfdcIframeOrigin" in script
    assert "http" not in script.split("*/", 1)[1]  # no external loads
    async with sf.session.get(
        f"{sf.base_url}/support/api/37.0/lightning/opencti_min.js"
    ) as response:
        assert response.status == 404  # Lightning Open CTI starts at 38.0


async def test_console_frames_softphone_with_salesforce_parameters(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    await sf.control("PUT", "console", {"softphoneUrl": SOFTPHONE})
    async with sf.session.get(
        f"{sf.base_url}/lightning/page/console", params={"user": acme.username}
    ) as response:
        assert response.status == 200
        page = await response.text()
    src = page.split('id="softphone"', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    frame = URL(src.replace("&amp;", "&"))
    assert str(frame.with_query(None)) == SOFTPHONE
    assert frame.query["mode"] == "Lightning" and frame.query["isdtp"] == "vw"
    assert frame.query["sfdcIframeOrigin"] == sf.base_url and frame.query["clc"] == "1"
    assert 'allow="microphone' in page
    assert "<script src=" not in page


async def relay(sf: RunningDevorg, org: ReadyOrg, method: str, args: dict[str, Any]) -> Any:
    async with sf.session.post(
        f"{sf.base_url}/__devorg/opencti/calls",
        json={
            "orgId": org.org_id,
            "userId": org.user_id,
            "method": method,
            "args": args,
        },
    ) as response:
        return (await response.json())["response"]


async def test_calls_are_answered_with_callback_shape_and_recorded(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    contact = await sf.create_record(
        acme.org_id, "Contact", {"LastName": "Smith", "Phone": "(415) 555-1212"}
    )
    result = await relay(
        sf, acme, "screenPop", {"type": "sobject", "params": {"recordId": contact}}
    )
    assert result == {"success": True, "returnValue": None, "errors": None}
    view = await relay(sf, acme, "getAppViewInfo", {})
    assert view["returnValue"]["recordId"] == contact
    bad = await relay(sf, acme, "setSoftphonePanelHeight", {"heightPX": 100})
    assert bad["success"] is False and bad["errors"][0]["code"] == "INVALID_PARAM"
    found = await relay(
        sf, acme, "searchAndScreenPop", {"searchParams": "+14155551212", "callType": "inbound"}
    )
    assert list(found["returnValue"]) == [contact]
    saved = await relay(
        sf,
        acme,
        "saveLog",
        {"value": {"entityApiName": "Task", "Subject": "Call", "WhoId": contact}},
    )
    assert saved["returnValue"]["recordId"].startswith("00T")
    settings = await relay(sf, acme, "getCallCenterSettings", {})
    assert settings["returnValue"]["/reqGeneralInfo/reqInternalName"] == "SIVO_Test"
    recorded = (await sf.control("GET", "opencti/calls"))["calls"]
    assert [c["method"] for c in recorded] == [
        "screenPop",
        "getAppViewInfo",
        "setSoftphonePanelHeight",
        "searchAndScreenPop",
        "saveLog",
        "getCallCenterSettings",
    ]


async def test_events_fired_by_tests_are_queued_for_the_console(sf: RunningDevorg) -> None:
    payload = {"number": "4155551212", "recordId": "003", "objectType": "Contact"}
    await sf.control("POST", "opencti/events", {"event": "onClickToDial", "payload": payload})
    await sf.control(
        "POST", "opencti/events", {"event": "onNavigationChange", "payload": {"url": "/x"}}
    )
    events = (await sf.control("GET", "opencti/events?after=1"))["events"]
    assert events == [{"seq": 2, "event": "onNavigationChange", "payload": {"url": "/x"}}]
    async with sf.session.post(
        f"{sf.base_url}/__devorg/opencti/events", json={"event": "onFocus"}
    ) as response:
        assert response.status == 400


def test_method_list_has_no_classic_only_names() -> None:
    assert "searchAndGetScreenPopUrl" not in METHODS and "setSoftphoneHeight" not in METHODS
