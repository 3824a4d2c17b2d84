"""Fixtures for devorg's tests: a running devorg, SCRT2 keys, an org with a logged-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from devorg.testing import (
    ReadyOrg,
    RunningDevorg,
    ScrtKeyPair,
    make_scrt_keypair,
    running_devorg,
)


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


@pytest.fixture
async def acme(sf: RunningDevorg, scrt_keys: ScrtKeyPair) -> ReadyOrg:
    return await sf.setup_org("Acme", "ada@acme.test", certificate=scrt_keys.certificate_pem)
