"""A connected org over time: its tokens refreshed, revoked, reconnected, its settings chosen,
its SCRT2 keys rotated, and Disconnect."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devorg.testing import RunningDevorg
from tests.conftest import AppFactory

from .conftest import Sivo, connect, connected_org, sivo_admin

USER = "ada@acme.test"


async def _connected(make_client: AppFactory, sf: RunningDevorg, **kw: Any) -> tuple[Sivo, str]:
    made = await connected_org(make_client, sf, USER, **kw)
    return made.sivo, made.row_id


async def _import(sivo: Sivo, org: str) -> Any:
    return await sivo.client.post(f"/api/v1/salesforce/orgs/{org}/users/import", headers=sivo.api)


async def test_an_expired_session_is_refreshed_once_and_the_request_retried(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, org = await _connected(make_client, sf)
    before = set(sf.devorg.sessions.access_tokens)
    await sf.control("POST", "clock", {"advanceSeconds": 10 * 24 * 3600})  # past any timeout
    resp = await _import(sivo, org)
    assert resp.status == 200, await resp.text()
    fresh = set(sf.devorg.sessions.access_tokens) - before
    assert len(fresh) == 1  # one refresh, whatever the number of requests after it
    assert (await _import(sivo, org)).status == 200
    assert set(sf.devorg.sessions.access_tokens) - before == fresh


async def test_a_revoked_refresh_token_marks_the_org_and_reconnecting_heals_it(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, org = await _connected(make_client, sf)
    sf.devorg.sessions.refresh_tokens.clear()  # the admin revoked SIVO in Salesforce
    await sf.control("POST", "clock", {"advanceSeconds": 10 * 24 * 3600})
    resp = await _import(sivo, org)
    error = (await resp.json())["error"]
    assert resp.status == 409 and error["code"] == "needs_reconnect"
    shown = await (await sivo.client.get(f"/api/v1/salesforce/orgs/{org}", headers=sivo.api)).json()
    assert (
        shown["status"] == "needs_reconnect" and "connect the org again" in shown["status_reason"]
    )
    again = await (await _import(sivo, org)).json()  # no new attempt at Salesforce meanwhile
    assert again["error"]["code"] == "needs_reconnect"
    assert (await connect(sivo, sf, USER)).status == 303  # the same org: the same row
    shown = await (await sivo.client.get(f"/api/v1/salesforce/orgs/{org}", headers=sivo.api)).json()
    assert shown["status"] == "connected" and shown["status_reason"] is None
    assert (await _import(sivo, org)).status == 200


async def test_disconnect_revokes_the_tokens_at_salesforce_and_forgets_the_org(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, org = await _connected(make_client, sf)
    assert sf.devorg.sessions.refresh_tokens
    resp = await sivo.client.delete(f"/api/v1/salesforce/orgs/{org}", headers=sivo.api)
    assert resp.status == 204
    assert not sf.devorg.sessions.refresh_tokens and not sf.devorg.sessions.access_tokens
    assert (await sivo.client.get(f"/api/v1/salesforce/orgs/{org}", headers=sivo.api)).status == 404
    again = await sivo.client.delete(f"/api/v1/salesforce/orgs/{org}", headers=sivo.api)
    assert again.status == 404


async def test_the_admin_picks_a_call_center_and_overrides_the_scrt2_url(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await sf.create_org("Acme")
    for name in ("SIVO_Support", "SIVO_Sales", "Other_Center"):
        await sf.create_call_center(org["orgId"], name)
    await sf.create_user(org["orgId"], USER, first_name="Ada", last_name="Admin")
    sivo = await sivo_admin(make_client, sf)
    await connect(sivo, sf, USER)
    [found] = (await (await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)).json())[
        "data"
    ]
    assert found["call_center"] is None  # two SIVO_ ones: the admin picks
    names = sorted(c["internal_name"] for c in found["call_centers"])
    assert names == ["SIVO_Sales", "SIVO_Support"]
    path = f"/api/v1/salesforce/orgs/{found['id']}"
    bad = await sivo.client.patch(
        path, json={"call_center_id": "0Bd000000000000"}, headers=sivo.api
    )
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "call_center_id"
    pick = found["call_centers"][0]
    scrt = "https://acme.my.salesforce-scrt.com"
    resp = await sivo.client.patch(
        path, json={"call_center_id": pick["id"], "scrt_base_url": scrt}, headers=sivo.api
    )
    shown = await resp.json()
    assert shown["call_center"] == pick and shown["scrt_base_url"] == scrt
    assert shown["scrt_source"] == "admin"
    await connect(sivo, sf, USER)  # a reconnect keeps the admin's override
    shown = await (await sivo.client.get(path, headers=sivo.api)).json()
    assert shown["scrt_base_url"] == scrt and shown["scrt_source"] == "admin"
    back = await (
        await sivo.client.patch(path, json={"scrt_base_url": None}, headers=sivo.api)
    ).json()
    assert back["scrt_base_url"] is None and back["scrt_source"] == "none"


async def test_key_rotation_is_staged_pending_then_active(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, org = await _connected(make_client, sf)
    keys = f"/api/v1/salesforce/orgs/{org}/keys"
    [first] = (await (await sivo.client.get(keys, headers=sivo.api)).json())["data"]
    staged = await (await sivo.client.post(keys, headers=sivo.api)).json()
    assert staged["status"] == "pending" and staged["certificate_pem"] != first["certificate_pem"]
    statuses = {
        k["kid"]: k["status"]
        for k in (await (await sivo.client.get(keys, headers=sivo.api)).json())["data"]
    }
    assert statuses == {first["kid"]: "active", staged["kid"]: "pending"}  # the old one signs still
    done = await sivo.client.post(f"{keys}/{staged['kid']}/activate", headers=sivo.api)
    assert (await done.json())["status"] == "active"
    statuses = {
        k["kid"]: k["status"]
        for k in (await (await sivo.client.get(keys, headers=sivo.api)).json())["data"]
    }
    assert statuses == {first["kid"]: "retired", staged["kid"]: "active"}
    twice = await sivo.client.post(f"{keys}/{staged['kid']}/activate", headers=sivo.api)
    assert twice.status == 409


async def test_another_tenants_org_is_not_found(make_client: AppFactory, sf: RunningDevorg) -> None:
    sivo, org = await _connected(make_client, sf)
    other = await sivo_admin(make_client, sf, client=sivo.client, email="eve@other.test")
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/users/import"),
        ("GET", "/users"),
        ("GET", "/keys"),
        ("POST", "/keys"),
    ]:
        resp = await other.client.request(
            method, f"/api/v1/salesforce/orgs/{org}{path}", json={}, headers=other.api
        )
        assert resp.status == 404, (method, path, resp.status)


async def test_the_call_center_definition_carries_the_softphone_and_the_active_certificate(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    import xml.etree.ElementTree as ET

    sivo, org = await _connected(make_client, sf)
    resp = await sivo.client.get(f"/api/v1/salesforce/orgs/{org}/call-center.xml", headers=sivo.api)
    assert resp.status == 200 and resp.content_type == "application/xml"
    xml = await resp.text()
    items = {i.get("name"): (i.text or "") for i in ET.fromstring(xml).iter("item")}
    assert items["reqInternalName"] == "SIVO_Acme"  # the one discovery found
    assert items["reqAdapterUrl"] == f"http://127.0.0.1:8080/softphone/?org={org}"
    assert items["reqUseApi"] == "true" and items["reqSalesforceCompatibilityMode"] == "Lightning"
    keys = (
        await (
            await sivo.client.get(f"/api/v1/salesforce/orgs/{org}/keys", headers=sivo.api)
        ).json()
    )["data"]
    pem = keys[0]["certificate_pem"]
    assert "".join(items["reqTelephonyIntegrationCertificate"].split()) == "".join(pem.split())

    # Imported in the org (Setup → Call Centers → Import), its console frames the softphone
    # for this org.
    got = await sivo.client.get(f"/api/v1/salesforce/orgs/{org}", headers=sivo.api)
    sf_org = (await got.json())["org_id"]
    imported = await sf.control("POST", f"orgs/{sf_org}/callcenters/import", {"xml": xml})
    assert imported["internalName"] == "SIVO_Acme"
    await sf.create_user(sf_org, "bo@acme.test", last_name="Bo", call_center="SIVO_Acme")
    async with sf.session.get(
        f"{sf.base_url}/lightning/page/console", params={"user": "bo@acme.test"}
    ) as console:
        page = await console.text()
    src = html.unescape(page.split('id="softphone"', 1)[1].split('src="', 1)[1].split('"', 1)[0])
    assert src.startswith(f"http://127.0.0.1:8080/softphone/?org={org}&mode=Lightning"), src


async def test_the_package_component_starts_the_same_connect(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo = await sivo_admin(make_client, sf)
    resp = await sivo.client.get(
        "/salesforce/connect",
        params={"login_url": "https://acme.my.salesforce.com"},
        allow_redirects=False,
    )
    location = urlsplit(resp.headers["Location"])
    assert resp.status == 303 and location.path == "/admin/salesforce/connect"
    assert parse_qs(location.query) == {"login": ["https://acme.my.salesforce.com"]}


async def test_reading_the_org_again_finds_a_call_center_imported_since(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await sf.create_org("Acme")
    await sf.create_user(org["orgId"], USER, first_name="Ada", last_name="Admin")
    sivo = await sivo_admin(make_client, sf)
    await connect(sivo, sf, USER)
    [found] = (await (await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)).json())[
        "data"
    ]
    assert found["call_center"] is None and found["call_centers"] == []
    path = f"/api/v1/salesforce/orgs/{found['id']}"
    await sivo.client.patch(
        path, json={"scrt_base_url": "https://x.my.salesforce-scrt.com"}, headers=sivo.api
    )
    await sf.create_call_center(org["orgId"], "SIVO_Acme")  # the admin imported it
    again = await (await sivo.client.post(f"{path}/discover", headers=sivo.api)).json()
    assert again["call_center"]["internal_name"] == "SIVO_Acme"
    assert again["scrt_base_url"] == "https://x.my.salesforce-scrt.com"  # the override stays
    config = await (await sivo.client.get("/api/v1/salesforce/config", headers=sivo.api)).json()
    assert config == {
        "configured": True,
        "callback_url": "http://127.0.0.1:8080/salesforce?autoConnect=1",
    }
