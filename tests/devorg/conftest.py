"""Fixtures for devorg's tests: a running devorg, SCRT2 keys, an org with a logged-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from devorg.testing import RunningDevorg, ScrtKeyPair, make_scrt_keypair, running_devorg


@pytest.fixture(scope="session")
def scrt_keys() -> ScrtKeyPair:
    return make_scrt_keypair()


@pytest.fixture(scope="session")
def other_keys() -> ScrtKeyPair:
    return make_scrt_keypair("attacker")


@pytest.fixture
async def sf() -> AsyncIterator[RunningDevorg]:
    async with running_devorg() as running:
        yield running


@dataclass
class OrgSetup:
    org_id: str
    org_id15: str
    user_id: str
    username: str
    access_token: str
    tokens: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def make_org(sf: RunningDevorg, name: str, username: str, keys: ScrtKeyPair,
                   *, is_sandbox: bool = False) -> OrgSetup:
    org = await sf.create_org(name, is_sandbox=is_sandbox)
    await sf.create_call_center(org["orgId"], "SIVO_Test", certificate=keys.certificate_pem)
    user_id = await sf.create_user(org["orgId"], username, first_name="Ada",
                                   last_name="Agent", call_center="SIVO_Test")
    tokens = await sf.login(username)
    return OrgSetup(org["orgId"], org["orgId15"], user_id, username, tokens["access_token"],
                    tokens)


@pytest.fixture
async def acme(sf: RunningDevorg, scrt_keys: ScrtKeyPair) -> OrgSetup:
    return await make_org(sf, "Acme", "ada@acme.test", scrt_keys)
