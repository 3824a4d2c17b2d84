"""devorg's page of an org's voice calls: each VoiceCall with its conversation, escaped."""

from __future__ import annotations

from tests.devorg.test_devorg_http_scrt import Scrt, create_body, message, scrt

__all__ = ["scrt"]  # the fixture, shared with the SCRT2 tests


async def test_the_page_shows_each_voice_call_and_its_entries_in_order(scrt: Scrt) -> None:
    status, _ = await scrt.send("POST", "voiceCalls", create_body("call-<1>"))
    assert status == 200
    first, second = message(1), message(2, "HUMAN_AGENT")
    first["content"] = "<b>hello</b>"
    for body in (first, second):
        status, _ = await scrt.send("POST", "voiceCalls/call-%3C1%3E/messages", body)
        assert status == 200
    sf, org_id = scrt.sf, scrt.org.org_id
    async with sf.session.get(f"{sf.base_url}/__devorg/orgs/{org_id}/voice-calls") as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        page = await resp.text()
    assert "call-&lt;1&gt;" in page and "<b>hello</b>" not in page
    assert page.index("&lt;b&gt;hello&lt;/b&gt;") < page.index("utterance 2")
    async with sf.session.get(f"{sf.base_url}/__devorg/orgs/00Dnope/voice-calls") as resp:
        assert resp.status == 404
