"""What the demo sets up, through the doors an admin uses (CLI, REST API, dashboard)."""

from __future__ import annotations

import asyncio
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

import aiohttp

DEMO_ADMIN = "admin@sivo-demo.test"
SF_ADMIN = "admin@sivo-demo.devorg"  # devorg's demo org: password "devorg"
SF_AGENT = "agent@sivo-demo.devorg"  # Alan Agent, a user of the org's call center
CALLER = "+14155551212"  # Jo Smith's phone in the demo org: (415) 555-1212
NUMBER = "+18005550100"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
GO_LINK = re.compile(r'id="salesforce-go" href="([^"]+)"')
ROOT = Path(__file__).resolve().parents[1]


class DemoSetup:
    def __init__(self, *, data_dir: Path, env: dict[str, str], sivo_url: str, devorg_url: str):
        self._state_file = data_dir / "demo.json"
        self._env = env
        self._sivo = sivo_url
        self._devorg = devorg_url

    async def _cli(self, *args: str, stdin: bytes = b"") -> dict[str, Any]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            *args,
            cwd=ROOT,
            env=self._env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await proc.communicate(stdin)
        if proc.returncode != 0:
            raise SystemExit(f"sivo {' '.join(args)} failed")
        result: dict[str, Any] = json.loads(out)
        return result

    async def _state(self) -> dict[str, Any]:
        if self._state_file.exists():
            state: dict[str, Any] = json.loads(self._state_file.read_text())
            return state
        tenant = await self._cli("tenant", "create", "SIVO Demo")
        admin = await self._cli(
            "admin", "create", "--tenant", tenant["tenant_id"], "--email", DEMO_ADMIN
        )
        state = {**tenant, "admin_email": DEMO_ADMIN, "admin_password": admin["password"]}
        self._state_file.write_text(json.dumps(state, indent=2))
        self._state_file.chmod(0o600)  # it holds the demo's API key and password
        return state

    async def run(self) -> str:
        state = await self._state()
        api = {"Authorization": f"Bearer {state['api_key']}"}
        async with aiohttp.ClientSession(base_url=self._sivo, headers=api) as rest:
            queue = await self._queue(rest)
            org = await self._connected_org(state, rest)
            path = f"/api/v1/salesforce/orgs/{org['id']}/users/import"
            resp = await rest.post(path)
            if resp.status == 409:  # devorg's snapshot keeps no tokens: connect again
                resp.release()
                await self._connect(state)
                resp = await rest.post(path)
            imported = await _json(resp)
            unmatched = [u["user_id"] for u in imported["users"] if u["state"] == "unmatched"]
            if unmatched:
                await _json(
                    await rest.post(
                        f"/api/v1/salesforce/orgs/{org['id']}/users/agents",
                        json={"user_ids": unmatched, "queue_ids": [queue]},
                    )
                )
            agents = (await _json(await rest.get("/api/v1/agents")))["data"]
            transcribe = {"transcribe_calls": True}
            await _json(await rest.put("/api/v1/telephony/settings", json=transcribe))
            push = {"push_transcripts": True}  # Settings → Salesforce → Push transcripts
            await _json(await rest.patch(f"/api/v1/salesforce/orgs/{org['id']}", json=push))
            await self._console(rest, org)
        console = f"{self._devorg}/lightning/page/console?user={SF_AGENT}"
        return "\n".join(
            [
                "",
                f"  Dashboard       {self._sivo}/admin/   log in as {state['admin_email']}"
                f" / {state['admin_password']}",
                f"  Salesforce org  {self._sivo}/admin/salesforce/{org['id']}  ({org['name']})",
                f"  Agents          {', '.join(a['name'] for a in agents)}",
                f"  Agent console   {console}",
                "                  (Salesforce's console with SIVO's softphone: Sign in with"
                " Salesforce signs Alan Agent in, no password typed)",
                f"  Web caller      {self._sivo}/caller/   register {CALLER} (Jo Smith),"
                f" dial {NUMBER}: Jo pops in the console",
                f"  Voice calls     {self._devorg}/__devorg/orgs/{org['org_id']}/voice-calls"
                "   (each demo call as a VoiceCall through SCRT2, with its transcript)",
                f"  API reference   {self._sivo}/docs/api/   (API key in {self._state_file})",
                f"  devorg          {self._devorg}/__devorg/   (its users' password: devorg)",
                "",
            ]
        )

    async def _console(self, rest: aiohttp.ClientSession, org: dict[str, Any]) -> None:
        """The admin's last step: import SIVO's call center definition in the org (Setup →
        Call Centers → Import; devorg's control API stands in for the page), so that the
        console frames the softphone for this org. Then devorg approves the demo agent's
        sign-in without a password (its auto-approve switch)."""
        resp = await rest.get(f"/api/v1/salesforce/orgs/{org['id']}/call-center.xml")
        if resp.status >= 400:
            raise SystemExit(f"the call center definition: {resp.status} {await resp.text()}")
        xml = await resp.text()
        keys = await _json(await rest.get(f"/api/v1/salesforce/orgs/{org['id']}/keys"))
        active = next(k for k in keys["data"] if k["status"] == "active")
        async with aiohttp.ClientSession(base_url=self._devorg) as devorg:
            path = f"/__devorg/orgs/{org['org_id']}/callcenters/import"
            imported = await _json(await devorg.post(path, json={"xml": xml}))
            # The admin pastes SIVO's certificate into the call center (SCRT2's JWTs).
            certificate = f"/__devorg/orgs/{org['org_id']}/callcenters/"
            certificate += f"{imported['internalName']}/certificate"
            await _json(
                await devorg.put(certificate, json={"certificate": active["certificate_pem"]})
            )
            await _json(await devorg.put("/__devorg/auto-approve", json={"username": SF_AGENT}))

    async def _queue(self, rest: aiohttp.ClientSession) -> str:
        queues = (await _json(await rest.get("/api/v1/queues")))["data"]
        if queues:
            return str(queues[0]["id"])
        queue = await _json(await rest.post("/api/v1/queues", json={"name": "Support"}))
        await _json(
            await rest.post(
                "/api/v1/numbers",
                json={"number": NUMBER, "queue_id": queue["id"], "published": True},
            )
        )
        return str(queue["id"])

    async def _connected_org(
        self, state: dict[str, Any], rest: aiohttp.ClientSession
    ) -> dict[str, Any]:
        orgs = (await _json(await rest.get("/api/v1/salesforce/orgs")))["data"]
        live = [o for o in orgs if o["status"] == "connected"]
        if live:
            return dict(live[0])
        await self._connect(state)
        orgs = (await _json(await rest.get("/api/v1/salesforce/orgs")))["data"]
        return dict(next(o for o in orgs if o["status"] == "connected"))

    async def _connect(self, state: dict[str, Any]) -> None:
        """Connect with Salesforce as the admin would, the Allow click made by devorg's switch."""
        jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address host (127.0.0.1)
        async with aiohttp.ClientSession(base_url=self._sivo, cookie_jar=jar) as browser:
            page = await browser.get("/admin/login")
            token = CSRF_FIELD.search(await page.text())
            assert token, "the login page has no CSRF field"
            form = {
                "email": state["admin_email"],
                "password": state["admin_password"],
                "csrf": token.group(1),
                "next": "/admin/",
            }
            login = await browser.post("/admin/login", data=form, allow_redirects=False)
            if login.status != 303:
                raise SystemExit(f"the demo admin could not log in: {login.status}")
            start = await browser.get(
                "/admin/salesforce/connect?login=production", allow_redirects=False
            )
            async with aiohttp.ClientSession() as devorg:
                switch = f"{self._devorg}/__devorg/auto-approve"
                await devorg.put(switch, json={"username": SF_ADMIN})
                try:
                    go = GO_LINK.search(await start.text())
                    assert go, "the connect page names no authorize URL"
                    authorize = html.unescape(go.group(1))
                    async with devorg.get(authorize, allow_redirects=False) as ok:
                        callback = ok.headers["Location"]
                finally:
                    await devorg.put(switch, json={"username": None})
            done = await browser.get(callback.removeprefix(self._sivo), allow_redirects=False)
            if done.status != 303:
                raise SystemExit(f"connecting the demo org failed: {await done.text()}")


async def _json(resp: aiohttp.ClientResponse) -> Any:
    if resp.status >= 400:
        raise SystemExit(f"{resp.method} {resp.url}: {resp.status} {await resp.text()}")
    return await resp.json()
