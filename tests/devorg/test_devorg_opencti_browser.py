"""devorg's Open CTI stand-in in a real Chromium: console page, framed softphone, script.

A tiny softphone page, served from its own origin on 127.0.0.1, includes ``opencti_min.js``
from devorg's org host (as a real softphone includes it from the org's domain) and calls
``sforce.opencti`` methods. devorg's console page frames it from the call center's
``AdapterUrl``. The test checks the frame's URL and permissions, each callback's
``{success, returnValue, errors}``, devorg's record of the calls, and that
``onClickToDial`` / ``onNavigationChange`` fired from the test reach the softphone's listeners.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import ConsoleMessage, Frame, Page, expect
from yarl import URL

from devorg.testing import RunningDevorg
from tests.support.browser import chromium, chromium_path

pytestmark = pytest.mark.browser

API_VERSION = "66.0"
PHONE = "(415) 555-1212"

# The softphone: registers listeners, then calls one method after another (each in the
# previous one's callback, so devorg records them in a known order), keeping every
# callback's response in window.__results and every listener payload in window.__events.
SOFTPHONE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Test softphone</title>
<script src="%(script)s"></script></head>
<body><h1>Test softphone</h1><pre id="status">starting</pre><pre id="events"></pre>
<script>
(function () {
  'use strict';
  var cti = window.sforce.opencti;
  window.__results = {};
  window.__events = [];
  function listen(name) {
    return function (payload) {
      window.__events.push({ listener: name, payload: payload });
      document.getElementById('events').textContent = JSON.stringify(window.__events);
    };
  }
  cti.onClickToDial({ listener: listen('onClickToDial') });
  cti.onNavigationChange({ listener: listen('onNavigationChange') });

  var contactId = null;
  var steps = [
    ['setSoftphonePanelVisibility', function () { return { visible: true }; }],
    ['isSoftphonePanelVisible', function () { return {}; }],
    ['setSoftphoneItemLabel', function () { return { label: 'SIVO' }; }],
    ['setSoftphonePanelHeight', function () { return { heightPX: 100 }; }],
    ['setSoftphonePanelVisibility', function () { return { visible: 'yes' }; }],
    ['enableClickToDial', function () { return {}; }],
    ['getCallCenterSettings', function () { return {}; }],
    ['searchAndScreenPop', function () {
      return { searchParams: '4155551212', callType: cti.CALL_TYPE.INBOUND };
    }],
    ['screenPop', function () {
      return { type: cti.SCREENPOP_TYPE.SOBJECT, params: { recordId: contactId } };
    }],
    ['getAppViewInfo', function () { return {}; }]
  ];
  var index = 0;
  function next() {
    if (index === steps.length) {
      document.getElementById('status').textContent = 'done';
      return;
    }
    var method = steps[index][0];
    var args = steps[index][1]();
    var key = index + ':' + method;
    index += 1;
    args.callback = function (response) {
      window.__results[key] = response;
      if (method === 'searchAndScreenPop' && response.success) {
        contactId = Object.keys(response.returnValue)[0] || null;
      }
      next();
    };
    cti[method](args);
  }
  next();
})();
</script></body></html>"""


@asynccontextmanager
async def _softphone_server(org_url: str) -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        script = f"{org_url}/support/api/{API_VERSION}/lightning/opencti_min.js"
        return web.Response(text=SOFTPHONE_PAGE % {"script": script}, content_type="text/html")

    app = web.Application()
    app.router.add_get("/softphone", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/softphone"
    finally:
        await runner.cleanup()


@pytest.fixture
async def softphone_url(sf: RunningDevorg) -> AsyncIterator[str]:
    async with _softphone_server(sf.base_url) as url:
        yield url


async def _softphone_frame(page: Page) -> Frame:
    handle = await page.wait_for_selector("iframe#softphone")
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    return frame


async def _events(frame: Frame, count: int) -> list[dict[str, Any]]:
    await frame.wait_for_function(f"window.__events && window.__events.length >= {count}")
    events: list[dict[str, Any]] = await frame.evaluate("window.__events")
    return events


async def test_softphone_drives_open_cti_through_the_console(
    sf: RunningDevorg, softphone_url: str
) -> None:
    chromium_path()  # skip (or fail under SIVO_TEST_REQUIRE_ALL=1) before the browser work
    org = await sf.create_org("Acme")
    await sf.create_call_center(org["orgId"], "SIVO_Acme", adapter_url=softphone_url)
    user_id = await sf.create_user(
        org["orgId"], "ada@acme.test", first_name="Ada", last_name="Agent", call_center="SIVO_Acme"
    )
    account_id = await sf.create_record(org["orgId"], "Account", {"Name": "Acme Corp"})
    contact_id = await sf.create_record(
        org["orgId"],
        "Contact",
        {"FirstName": "Sam", "LastName": "Smith", "Phone": PHONE, "AccountId": account_id},
    )
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning") and not msg.location["url"].endswith("/favicon.ico"):
            problems.append(f"console {msg.type}: {msg.text} at {msg.location['url']}")

    async with chromium(
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"
    ) as browser:
        context = await browser.new_context()
        page = await context.new_page()
        page.set_default_timeout(8_000)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        await page.goto(f"{sf.base_url}/lightning/page/console?user=ada%40acme.test")

        # The frame: the call center's AdapterUrl plus Salesforce's query parameters, and
        # a Permissions Policy that really lets the cross-origin softphone use the microphone.
        iframe = page.locator("iframe#softphone")
        assert "microphone" in [
            p.strip() for p in (await iframe.get_attribute("allow") or "").split(";")
        ]
        frame = await _softphone_frame(page)
        await expect(frame.locator("#status")).to_have_text("done")
        src = URL(frame.url)
        assert str(src.with_query(None)) == softphone_url
        assert src.query["mode"] == "Lightning"
        assert src.query["isdtp"] == "vw" and src.query["clc"] == "1"
        assert src.query["sfdcIframeOrigin"] == sf.base_url
        assert src.query["ltn_app_id"] and len(src.query["nonce"]) == 32
        assert URL(frame.url).origin() != URL(page.url).origin()  # really cross-origin
        microphone = await frame.evaluate(
            """navigator.mediaDevices.getUserMedia({audio: true}).then(
                 (s) => { const n = s.getAudioTracks().length;
                          s.getTracks().forEach((t) => t.stop()); return 'tracks:' + n; },
                 (e) => e.name)"""
        )
        assert microphone == "tracks:1"

        # Each callback got the documented response object.
        results: dict[str, Any] = await frame.evaluate("window.__results")
        ok = {"success": True, "returnValue": None, "errors": None}
        assert results["0:setSoftphonePanelVisibility"] == ok
        assert results["1:isSoftphonePanelVisible"] == {
            "success": True,
            "returnValue": {"visible": True},
            "errors": None,
        }
        assert results["2:setSoftphoneItemLabel"] == ok
        for key, message in (
            ("3:setSoftphonePanelHeight", "heightPX must be between 240 and 2560"),
            ("4:setSoftphonePanelVisibility", "visible must be a boolean"),
        ):
            assert results[key] == {
                "success": False,
                "returnValue": None,
                "errors": [{"code": "INVALID_PARAM", "description": message, "details": []}],
            }
        assert results["5:enableClickToDial"] == ok
        settings = results["6:getCallCenterSettings"]
        assert settings["success"] is True and settings["errors"] is None
        assert settings["returnValue"]["/reqGeneralInfo/reqInternalName"] == "SIVO_Acme"
        assert settings["returnValue"]["/reqGeneralInfo/reqAdapterUrl"] == softphone_url
        found = results["7:searchAndScreenPop"]
        assert found["success"] is True and list(found["returnValue"]) == [contact_id]
        assert found["returnValue"][contact_id]["Name"] == "Sam Smith"
        assert found["returnValue"][contact_id]["RecordType"] == "Contact"
        assert results["8:screenPop"] == ok
        view = results["9:getAppViewInfo"]
        assert view["success"] is True
        assert view["returnValue"]["recordId"] == contact_id
        assert view["returnValue"]["url"] == f"/lightning/r/Contact/{contact_id}/view"
        await expect(page.locator("#view")).to_contain_text(contact_id)

        # devorg recorded every call with its arguments (callbacks and listeners stripped),
        # in the browser and over the control API.
        expected = [
            ("setSoftphonePanelVisibility", {"visible": True}),
            ("isSoftphonePanelVisible", {}),
            ("setSoftphoneItemLabel", {"label": "SIVO"}),
            ("setSoftphonePanelHeight", {"heightPX": 100}),
            ("setSoftphonePanelVisibility", {"visible": "yes"}),
            ("enableClickToDial", {}),
            ("getCallCenterSettings", {}),
            ("searchAndScreenPop", {"searchParams": "4155551212", "callType": "inbound"}),
            ("screenPop", {"type": "sobject", "params": {"recordId": contact_id}}),
            ("getAppViewInfo", {}),
        ]
        listeners = [("onClickToDial", {}), ("onNavigationChange", {})]
        in_page = await frame.evaluate("sforce.opencti.__devorg.calls")
        assert [(c["method"], c["args"]) for c in in_page] == listeners + expected
        record = await sf.control("GET", "opencti/calls")
        calls = record["calls"]
        assert all(c["orgId"] == org["orgId"] and c["userId"] == user_id for c in calls)
        recorded = [(c["method"], c["args"]) for c in calls]
        assert [c for c in recorded if c not in listeners] == expected  # strict order
        assert sorted(c[0] for c in recorded if c in listeners) == [m for m, _ in listeners]
        assert calls[-1]["response"] == view
        assert record["panel"]["label"] == "SIVO" and record["panel"]["visible"] is True
        assert record["panel"]["clickToDialEnabled"] is True

        # Events reach the listeners with the documented payloads: the console's own
        # click-to-dial button (enabled by enableClickToDial), the control API (relayed by
        # the console's poll), and window.devorgConsole.fire in the page.
        await page.get_by_role("button", name=PHONE).click()
        events = await _events(frame, 1)
        assert events[0] == {
            "listener": "onClickToDial",
            "payload": {
                "number": PHONE,
                "recordId": contact_id,
                "recordName": "Sam Smith",
                "objectType": "Contact",
                "accountId": account_id,
                "personAccount": False,
            },
        }
        dial = {
            "number": "4155550000",
            "recordId": contact_id,
            "recordName": "Sam Smith",
            "objectType": "Contact",
            "accountId": account_id,
            "personAccount": False,
            "params": "1234,5678",
        }
        await sf.control("POST", "opencti/events", {"event": "onClickToDial", "payload": dial})
        navigation = {
            "url": f"/lightning/r/Account/{account_id}/view",
            "recordId": account_id,
            "recordName": "Acme Corp",
            "objectType": "Account",
        }
        await sf.control(
            "POST", "opencti/events", {"event": "onNavigationChange", "payload": navigation}
        )
        events = await _events(frame, 3)
        assert events[1:] == [
            {"listener": "onClickToDial", "payload": dial},
            {"listener": "onNavigationChange", "payload": navigation},
        ]
        await page.evaluate(
            "window.devorgConsole.fire('onNavigationChange', {url: '/lightning/page/home'})"
        )
        events = await _events(frame, 4)
        assert events[3] == {
            "listener": "onNavigationChange",
            "payload": {"url": "/lightning/page/home"},
        }

        # The script only believes its parent's origin: a message posted by the softphone's
        # own origin is ignored.
        await frame.evaluate(
            """window.postMessage({devorgOpenCti: true, kind: 'event',
                 event: 'onClickToDial', payload: {number: 'forged'}}, '*')"""
        )
        await page.evaluate("window.devorgConsole.fire('onNavigationChange', {url: '/x'})")
        events = await _events(frame, 5)
        assert len(events) == 5 and events[4]["payload"] == {"url": "/x"}
        assert "forged" not in json.dumps(events)

        # Loaded outside the console (no mode / sfdcIframeOrigin), the script says so.
        bare = await context.new_page()
        errors: list[str] = []
        bare.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        await bare.goto(softphone_url)
        await expect(bare.locator("h1")).to_have_text("Test softphone")
        assert any("param.mode is undefined" in e for e in errors)
        await context.close()

    assert problems == []
