"""Settings: parsed once from ``SIVO_*`` environment variables (and an optional TOML file).

Every option is ``SIVO_<OPTION>`` (upper case) and defaults to:

- ``database_url``: ``sqlite+aiosqlite:///{data_dir}/sivo.db`` (or ``postgresql+asyncpg://...``)
- ``data_dir``: ``./var``
- ``host`` / ``port``: ``127.0.0.1`` / ``8080``; ``public_url``: ``http://{host}:{port}``
- ``secret_key``: base64 of 32 bytes; generated into ``{data_dir}/secret.key`` (mode 0600)
- ``webhook_allow_networks``: none; comma-separated CIDRs that deliveries may reach anyway
- ``webhook_ca_bundle``: none; a CA file trusted in addition to the system's
- ``webhook_timeout_s``: 10; ``webhook_endpoint_concurrency``: 8 attempts in flight per endpoint
- ``webhook_workers``: 1 on PostgreSQL with two cores or more, else 0; 1 makes the webhook
  attempts in a process of their own (another core), 0 in the serving process. On SQLite the
  serving process writes every outcome anyway (one writing process), and the handoff cost
  more than the second core gave back (``bench/webhooks.py``, README)
- ``log_level``: ``INFO``; ``log_format``: ``text`` (or ``json``)

Telephony (see docs/signaling.md and docs/media.md):

- ``ice_servers``: ``[]``; JSON list of ``{"urls": [...], "username": ..., "credential": ...}``
  (STUN/TURN) given to every server peer connection. Empty means no STUN at all (aiortc's own
  default would query a public Google server, which SIVO never does). Production: your own
  STUN plus a TURN server for clients behind symmetric NAT.
- ``media_host_addresses``: ``127.0.0.1``; comma-separated local addresses to gather ICE host
  candidates on. ``*`` = every interface except loopback (production).
- ``media_remote_networks``: ``127.0.0.0/8,::1/128``; CIDRs remote candidates must be in
  (others and mDNS names are dropped). ``*`` = any (production).
- ``media_setup_timeout_s``: 15; a call leg not connected this long after its answer is closed.
- ``agent_grace_s``: 20; an agent's dropped socket keeps its status and calls this long.
- ``outbound_ring_timeout_s``: 30; how long an agent's outbound call rings a web phone.
- ``recording_url_ttl_s``: 86400; lifetime of the signed recording URL in ``call.recorded``.
- ``signaling_max_message_bytes``: 65536; larger Socket.IO messages get an error ack.
- ``caller_rate_per_s`` / ``caller_burst``: 5 / 20; messages per second per ``/caller``
  connection (token bucket).
- ``caller_max_connections_per_address``: 20; simultaneous ``/caller`` connections per IP.
- ``transcription_workers``: 1; processes running the speech engine (PocketSphinx), started
  on the first transcribed utterance. One sustains about three legs at real time.

Salesforce: ``salesforce_client_id``, ``salesforce_client_secret``, ``salesforce_login_url``,
``salesforce_sandbox_login_url``, ``salesforce_ca_bundle``, ``salesforce_api_version``,
``salesforce_softphone_session_ttl_s`` (see ``server/salesforce/config.py``).

``SIVO_CONFIG_FILE`` names a TOML file whose top-level keys are the option names above;
environment variables win over the file.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from server.media.config import LOOPBACK_NETWORKS, IceServer
from server.salesforce.config import (
    API_VERSION,
    PRODUCTION_LOGIN,
    SANDBOX_LOGIN,
    SalesforceSettings,
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(ValueError):
    """A setting has a value SIVO cannot use; the message names the variable."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    secret_key: bytes = field(repr=False, default=b"")
    webhook_allow_networks: tuple[IPNetwork, ...] = ()
    webhook_ca_bundle: Path | None = None
    webhook_timeout_s: float = 10.0
    webhook_endpoint_concurrency: int = 8
    webhook_workers: int = 0  # load_settings' default depends on the machine's cores
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line, with the request id
    ice_servers: tuple[IceServer, ...] = ()
    media_host_addresses: tuple[str, ...] | None = ("127.0.0.1",)
    media_remote_networks: tuple[str, ...] | None = LOOPBACK_NETWORKS
    media_setup_timeout_s: float = 15.0
    agent_grace_s: float = 20.0
    outbound_ring_timeout_s: float = 30.0
    recording_url_ttl_s: float = 86400.0
    signaling_max_message_bytes: int = 65536
    caller_rate_per_s: float = 5.0
    caller_burst: int = 20
    caller_max_connections_per_address: int = 20
    transcription_workers: int = 1
    salesforce: SalesforceSettings = field(default_factory=SalesforceSettings)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _networks(raw: str, variable: str) -> tuple[IPNetwork, ...]:
    out: list[IPNetwork] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigError(f"{variable}: {part!r} is not a network") from exc
    return tuple(out)


def _int(raw: object, variable: str) -> int:
    try:
        return int(str(raw))
    except ValueError as exc:
        raise ConfigError(f"{variable}: {raw!r} is not a whole number") from exc


def _float(raw: object, variable: str) -> float:
    try:
        return float(str(raw))
    except ValueError as exc:
        raise ConfigError(f"{variable}: {raw!r} is not a number") from exc


def _ice_servers(raw: object) -> tuple[IceServer, ...]:
    variable = "SIVO_ICE_SERVERS"
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise ConfigError(f"{variable}: not JSON") from exc
    if not isinstance(items, list):
        raise ConfigError(f"{variable}: must be a JSON list of {{urls, username, credential}}")
    servers: list[IceServer] = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"urls", "username", "credential"}:
            raise ConfigError(f"{variable}: each server is {{urls, username?, credential?}}")
        urls = item.get("urls")
        urls = [urls] if isinstance(urls, str) else urls
        if not urls or not all(
            isinstance(u, str) and u.startswith(("stun:", "turn:", "turns:")) for u in urls
        ):
            raise ConfigError(f"{variable}: urls must be stun:, turn: or turns: URLs")
        username, credential = item.get("username"), item.get("credential")
        if not all(v is None or isinstance(v, str) for v in (username, credential)):
            raise ConfigError(f"{variable}: username and credential are strings")
        servers.append(IceServer(urls=tuple(urls), username=username, credential=credential))
    return tuple(servers)


def _address_list(raw: object, variable: str, *, cidr: bool) -> tuple[str, ...] | None:
    text = str(raw).strip()
    if text == "*":
        return None
    out = tuple(part.strip() for part in text.split(",") if part.strip())
    for part in out:
        try:
            ipaddress.ip_network(part, strict=False) if cidr else ipaddress.ip_address(part)
        except ValueError as exc:
            raise ConfigError(f"{variable}: {part!r} is not an address") from exc
    if not out:
        raise ConfigError(f"{variable}: give addresses, or * for any")
    return out


def _positive(value: float, variable: str) -> float:
    if value <= 0:
        raise ConfigError(f"{variable}: must be positive")
    return value


def load_master_key(raw: str | None, data_dir: Path) -> bytes:
    """The 32-byte master key for secrets at rest.

    Taken from ``SIVO_SECRET_KEY`` (base64 of 32 bytes) when set; otherwise read from, or
    generated into, ``{data_dir}/secret.key`` with mode 0600. Losing that file makes the
    stored webhook secrets unreadable, so operators back it up with the database.
    """
    if raw:
        try:
            key = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise ConfigError("SIVO_SECRET_KEY: not base64") from exc
        if len(key) != 32:
            raise ConfigError("SIVO_SECRET_KEY: must decode to 32 bytes")
        return key
    path = data_dir / "secret.key"
    if path.exists():
        key = base64.b64decode(path.read_text().strip())
        if len(key) != 32:
            raise ConfigError(f"{path}: must hold base64 of 32 bytes")
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode() + "\n")
    return key


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    config_file = env.get("SIVO_CONFIG_FILE")
    if config_file:
        with open(config_file, "rb") as fh:
            values.update(tomllib.load(fh))
    for key, val in env.items():
        if key.startswith("SIVO_") and key != "SIVO_CONFIG_FILE":
            values[key[5:].lower()] = val

    data_dir = Path(str(values.get("data_dir", "var"))).absolute()
    host = str(values.get("host", "127.0.0.1"))
    port = _int(values.get("port", 8080), "SIVO_PORT")
    database_url = str(values.get("database_url") or f"sqlite+aiosqlite:///{data_dir}/sivo.db")
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "SIVO_DATABASE_URL: use sqlite+aiosqlite:///PATH or postgresql+asyncpg://..."
        )
    ca = values.get("webhook_ca_bundle")
    concurrency = _int(
        values.get("webhook_endpoint_concurrency", 8), "SIVO_WEBHOOK_ENDPOINT_CONCURRENCY"
    )
    if concurrency < 1:
        raise ConfigError("SIVO_WEBHOOK_ENDPOINT_CONCURRENCY: must be at least 1")
    on_two_cores_with_postgres = (os.cpu_count() or 1) >= 2 and database_url.startswith(
        "postgresql"
    )
    workers = _int(
        values.get("webhook_workers", 1 if on_two_cores_with_postgres else 0),
        "SIVO_WEBHOOK_WORKERS",
    )
    if workers not in (0, 1):
        raise ConfigError("SIVO_WEBHOOK_WORKERS: 0 (in the serving process) or 1")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        host=host,
        port=port,
        public_url=str(values.get("public_url") or f"http://{host}:{port}").rstrip("/"),
        secret_key=load_master_key(values.get("secret_key"), data_dir),
        webhook_allow_networks=_networks(
            str(values.get("webhook_allow_networks", "")), "SIVO_WEBHOOK_ALLOW_NETWORKS"
        ),
        webhook_ca_bundle=Path(str(ca)) if ca else None,
        webhook_timeout_s=_float(values.get("webhook_timeout_s", 10), "SIVO_WEBHOOK_TIMEOUT_S"),
        webhook_endpoint_concurrency=concurrency,
        webhook_workers=workers,
        log_level=str(values.get("log_level", "INFO")).upper(),
        log_format=_log_format(values.get("log_format", "text")),
        salesforce=_salesforce(values),
        **_telephony(values),
    )


def _salesforce(values: Mapping[str, Any]) -> SalesforceSettings:
    def url(name: str, default: str) -> str:
        raw = str(values.get(name) or default).rstrip("/")
        if not raw.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError(f"SIVO_{name.upper()}: an https:// URL")
        return raw

    ca = values.get("salesforce_ca_bundle")
    return SalesforceSettings(
        client_id=str(values.get("salesforce_client_id", "")),
        client_secret=str(values.get("salesforce_client_secret", "")),
        login_url=url("salesforce_login_url", PRODUCTION_LOGIN),
        sandbox_login_url=url("salesforce_sandbox_login_url", SANDBOX_LOGIN),
        ca_bundle=Path(str(ca)) if ca else None,
        api_version=str(values.get("salesforce_api_version", API_VERSION)).lstrip("v"),
        softphone_session_ttl_s=_positive(
            _float(
                values.get("salesforce_softphone_session_ttl_s", 43200),
                "SIVO_SALESFORCE_SOFTPHONE_SESSION_TTL_S",
            ),
            "SIVO_SALESFORCE_SOFTPHONE_SESSION_TTL_S",
        ),
    )


def _log_format(value: object) -> str:
    fmt = str(value).lower()
    if fmt not in ("text", "json"):
        raise ConfigError("SIVO_LOG_FORMAT: text or json")
    return fmt


def _telephony(values: Mapping[str, Any]) -> dict[str, Any]:
    def num(name: str, default: float) -> float:
        return _positive(_float(values.get(name, default), f"SIVO_{name.upper()}"), name)

    return {
        "ice_servers": _ice_servers(values.get("ice_servers", "[]")),
        "media_host_addresses": _address_list(
            values.get("media_host_addresses", "127.0.0.1"), "SIVO_MEDIA_HOST_ADDRESSES", cidr=False
        ),
        "media_remote_networks": _address_list(
            values.get("media_remote_networks", ",".join(LOOPBACK_NETWORKS)),
            "SIVO_MEDIA_REMOTE_NETWORKS",
            cidr=True,
        ),
        "media_setup_timeout_s": num("media_setup_timeout_s", 15),
        "agent_grace_s": num("agent_grace_s", 20),
        "outbound_ring_timeout_s": num("outbound_ring_timeout_s", 30),
        "recording_url_ttl_s": num("recording_url_ttl_s", 86400),
        "signaling_max_message_bytes": int(num("signaling_max_message_bytes", 65536)),
        "caller_rate_per_s": num("caller_rate_per_s", 5),
        "caller_burst": int(num("caller_burst", 20)),
        "caller_max_connections_per_address": int(num("caller_max_connections_per_address", 20)),
        "transcription_workers": int(num("transcription_workers", 1)),
    }
