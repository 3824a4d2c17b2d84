"""Settings: parsed once from ``SIVO_*`` environment variables (and an optional TOML file).

Every option is ``SIVO_<OPTION>`` (upper case) and defaults to:

- ``database_url``: ``sqlite+aiosqlite:///{data_dir}/sivo.db`` (or ``postgresql+asyncpg://...``)
- ``data_dir``: ``./var``
- ``host`` / ``port``: ``127.0.0.1`` / ``8080``; ``public_url``: ``http://{host}:{port}``
- ``secret_key``: base64 of 32 bytes; generated into ``{data_dir}/secret.key`` (mode 0600)
- ``webhook_allow_networks``: none; comma-separated CIDRs that deliveries may reach anyway
- ``webhook_ca_bundle``: none; a CA file trusted in addition to the system's
- ``webhook_timeout_s``: 10; ``webhook_endpoint_concurrency``: 8 attempts in flight per endpoint
- ``log_level``: ``INFO``

``SIVO_CONFIG_FILE`` names a TOML file whose top-level keys are the option names above;
environment variables win over the file.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
    log_level: str = "INFO"

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
        log_level=str(values.get("log_level", "INFO")).upper(),
    )
