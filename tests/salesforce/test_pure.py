"""The pure parts: login hosts, PKCE, the SCRT2 URL rule, user matching."""

from __future__ import annotations

import base64
import hashlib

import pytest

from server.failures import Invalid
from server.salesforce import oauth
from server.salesforce.hosts import (
    SalesforceHosts,
    lightning_origin,
    my_domain_name,
    scrt_base_url,
)
from server.salesforce.keys import certificate_body, new_org_key
from server.salesforce.users import free_extension, match_users
from server.schemas.telephony import AgentConfig

HOSTS = SalesforceHosts("https://login.salesforce.com", "https://test.salesforce.com")


@pytest.mark.parametrize(
    ("choice", "url"),
    [
        ("production", "https://login.salesforce.com"),
        ("sandbox", "https://test.salesforce.com"),
        ("acme.my.salesforce.com", "https://acme.my.salesforce.com"),
        ("https://ACME.my.salesforce.com/", "https://acme.my.salesforce.com"),
        ("acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com"),
    ],
)
def test_login_targets(choice: str, url: str) -> None:
    assert HOSTS.login_target(choice).url == url


@pytest.mark.parametrize(
    "choice",
    [
        "https://evil.example.com",
        "http://acme.my.salesforce.com",
        "https://acme.my.salesforce.com:8443",
        "acme.my.salesforce.com.evil.io",
        "https://user@acme.my.salesforce.com",
        "https://127.0.0.1",
        "",
    ],
)
def test_a_login_that_is_not_a_salesforce_host_is_refused(choice: str) -> None:
    with pytest.raises(Invalid):
        HOSTS.login_target(choice)


def test_tokens_go_only_to_salesforce_hosts() -> None:
    assert HOSTS.trusted("https://acme.my.salesforce.com/services/data")
    assert HOSTS.trusted("https://login.salesforce.com/id/00D/005")
    assert not HOSTS.trusted("https://salesforce.com.evil.io/")
    assert not HOSTS.trusted("http://acme.my.salesforce.com/")
    assert not HOSTS.trusted("https://127.0.0.1/")


def test_pkce_is_s256_of_a_43_to_128_character_verifier() -> None:
    verifier = oauth.new_verifier()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert oauth.challenge(verifier) == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    # RFC 7636 appendix B's example.
    assert oauth.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_the_scrt2_url_rule() -> None:
    assert my_domain_name("https://acme.my.salesforce.com") == "acme"
    assert scrt_base_url("https://acme.my.salesforce.com", False) == (
        "https://acme.my.salesforce-scrt.com"
    )
    assert scrt_base_url("https://acme--uat.sandbox.my.salesforce.com", True) == (
        "https://acme--uat.sandbox.my.salesforce-scrt.com"
    )
    assert scrt_base_url("http://127.0.0.1:8081", False) is None
    assert lightning_origin("https://acme.my.salesforce.com") == "https://acme.lightning.force.com"
    assert lightning_origin("https://acme--uat.sandbox.my.salesforce.com") == (
        "https://acme--uat.sandbox.lightning.force.com"
    )
    assert lightning_origin("http://127.0.0.1:8081/") == "http://127.0.0.1:8081"


def _agent(id: str, email: str) -> AgentConfig:
    return AgentConfig(
        id=id, name=id, email=email, extension="10", queue_ids=[], created_at="", updated_at=""
    )


def test_matching_keeps_links_then_matches_emails_once() -> None:
    users = [
        {"user_id": "005A", "email": "ann@x.io"},
        {"user_id": "005B", "email": "ANN@x.io"},  # same email: the first gets the agent
        {"user_id": "005C", "email": "cy@x.io"},
        {"user_id": "005D", "email": "dee@x.io"},
    ]
    agents = [
        _agent("ag_ann", "ann@x.io"),
        _agent("ag_dee", "dee@x.io"),
        _agent("ag_zed", "z@x.io"),
    ]
    links = match_users(users, agents, {"005C": "ag_zed", "005D": "ag_gone"})
    assert links == {"005A": "ag_ann", "005B": None, "005C": "ag_zed", "005D": "ag_dee"}


def test_free_extensions_and_the_certificate_body() -> None:
    assert free_extension(["100", "101", "103"]) == "102"
    material = new_org_key("00D000000000001", 1_800_000_000)
    body = certificate_body(material.certificate_pem)
    assert "-" not in body and "\n" not in body and len(body) > 500
