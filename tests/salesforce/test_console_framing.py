"""The softphone framed by an org's console: who may frame it, what it may load."""

from __future__ import annotations

from yarl import URL

from devorg.testing import RunningDevorg
from server.salesforce.console import (
    ConsoleFrame,
    DialPlan,
    console_origins,
    dial_plan,
    softphone_csp,
)
from tests.conftest import AppFactory

from .conftest import connected_org

HOSTILE = "https://attacker.invalid"


def _directives(csp: str) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in csp.split("; ")}


def test_an_org_on_salesforce_is_framed_from_its_lightning_and_my_domain_origins() -> None:
    assert console_origins("https://acme.my.salesforce.com") == (
        "https://acme.lightning.force.com",
        "https://acme.my.salesforce.com",
    )
    assert console_origins("https://acme--uat.sandbox.my.salesforce.com") == (
        "https://acme--uat.sandbox.lightning.force.com",
        "https://acme--uat.sandbox.my.salesforce.com",
    )
    # Off Salesforce (the emulated org) both are the instance's own origin: listed once.
    assert console_origins("https://127.0.0.1:8443") == ("https://127.0.0.1:8443",)


def test_a_clicked_national_number_is_read_in_the_tenants_country() -> None:
    assert dial_plan("US") == DialPlan("1", "011")
    assert dial_plan("gb") == DialPlan("44", "00")
    assert dial_plan("AU") == DialPlan("61", "0011")


def test_the_policy_names_the_org_only_and_never_copies_the_query() -> None:
    frame = ConsoleFrame(
        "sfo_1", "Acme", console_origins("https://acme.my.salesforce.com"), dial_plan("US")
    )
    framed = _directives(softphone_csp(frame, "https://ACME.lightning.force.com"))
    assert framed["frame-ancestors"] == (
        "https://acme.lightning.force.com https://acme.my.salesforce.com"
    )
    assert framed["script-src"] == "'self' https://acme.lightning.force.com"
    for bad in (HOSTILE, f"{HOSTILE}; script-src *", "*", "", None):
        policy = _directives(softphone_csp(frame, bad))
        assert policy["script-src"] == "'self'", bad
        assert "attacker" not in softphone_csp(frame, bad)
    standalone = _directives(softphone_csp(None, "https://acme.lightning.force.com"))
    assert standalone["frame-ancestors"] == "'none'" and "script-src" not in standalone


async def test_the_page_answers_with_the_framing_orgs_policy(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await connected_org(make_client, sf, "ada@acme.test")
    client = org.sivo.client
    sf_origin = str(URL(sf.base_url).origin())

    framed = await client.get(
        "/softphone/",
        params={"org": org.row_id, "sfdcIframeOrigin": sf_origin, "mode": "Lightning"},
    )
    assert framed.status == 200
    policy = _directives(framed.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == sf_origin
    assert policy["script-src"] == f"'self' {sf_origin}"
    assert "X-Frame-Options" not in framed.headers  # it would contradict frame-ancestors
    assert framed.headers["Permissions-Policy"].startswith("microphone=(self)")

    # The org's other ids name it too; a frame origin that is not the org's loads nothing.
    for ref, frame_origin in ((org.org_id, HOSTILE), (org.org_id15, sf_origin)):
        resp = await client.get(
            "/softphone/", params={"org": ref, "sfdcIframeOrigin": frame_origin}
        )
        policy = _directives(resp.headers["Content-Security-Policy"])
        assert policy["frame-ancestors"] == sf_origin
        assert policy["script-src"] == (
            "'self'" if frame_origin == HOSTILE else f"'self' {sf_origin}"
        )

    # An org SIVO does not know frames nothing, and neither does the plain page.
    for params in ({"org": "sfo_unknown", "sfdcIframeOrigin": sf_origin}, {}):
        resp = await client.get("/softphone/", params=params)
        assert resp.status == 200
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY"


async def test_the_console_description_is_public_and_holds_nothing_secret(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await connected_org(make_client, sf, "ada@acme.test")
    client = org.sivo.client
    resp = await client.get("/softphone/console.json", params={"org": org.row_id})
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    assert body == {
        "org": {"id": org.row_id, "name": "Acme", "origins": [str(URL(sf.base_url).origin())]},
        "dial": {"country_code": "1", "international_prefix": "011"},  # the default region, US
    }
    patched = await client.patch(
        "/api/v1/screenpop/settings", json={"default_region": "GB"}, headers=org.sivo.api
    )
    assert patched.status == 200
    body = await (await client.get("/softphone/console.json", params={"org": org.row_id})).json()
    assert body["dial"] == {"country_code": "44", "international_prefix": "00"}
    for ref in ("sfo_unknown", "", "x" * 300):
        missing = await client.get("/softphone/console.json", params={"org": ref})
        assert missing.status == 404
        assert (await missing.json())["error"]["code"] == "not_found"
