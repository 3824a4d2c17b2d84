"""Settings: parsed once from SIVO_* variables and an optional TOML file; bad values named."""

from __future__ import annotations

import base64
import ipaddress
import stat
from pathlib import Path

import pytest

from server.settings import ConfigError, load_settings


def test_defaults_and_generated_master_key(tmp_path: Path) -> None:
    settings = load_settings({"SIVO_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path}/sivo.db"
    assert (settings.host, settings.port, settings.public_url) == (
        "127.0.0.1",
        8080,
        "http://127.0.0.1:8080",
    )
    assert settings.webhook_allow_networks == () and settings.webhook_timeout_s == 10
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(settings.secret_key) == 32
    again = load_settings({"SIVO_DATA_DIR": str(tmp_path)})
    assert again.secret_key == settings.secret_key  # read back, not regenerated


def test_environment_wins_over_toml(tmp_path: Path) -> None:
    toml = tmp_path / "sivo.toml"
    toml.write_text('port = 9000\nwebhook_allow_networks = "10.0.0.0/8"\nlog_level = "debug"\n')
    key = base64.b64encode(bytes(range(32))).decode()
    settings = load_settings(
        {
            "SIVO_CONFIG_FILE": str(toml),
            "SIVO_DATA_DIR": str(tmp_path),
            "SIVO_PORT": "9100",
            "SIVO_SECRET_KEY": key,
        }
    )
    assert settings.port == 9100 and settings.log_level == "DEBUG"
    assert settings.webhook_allow_networks == (ipaddress.ip_network("10.0.0.0/8"),)
    assert settings.secret_key == bytes(range(32))
    assert not (tmp_path / "secret.key").exists()


def test_the_delivery_worker_is_on_by_default_with_postgres_and_two_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres = {"SIVO_DATA_DIR": str(tmp_path), "SIVO_DATABASE_URL": "postgresql+asyncpg://h/db"}
    sqlite = {"SIVO_DATA_DIR": str(tmp_path)}
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert load_settings(postgres).webhook_workers == 1
    assert load_settings(sqlite).webhook_workers == 0  # one writing process: see settings.py
    assert load_settings({**postgres, "SIVO_WEBHOOK_WORKERS": "0"}).webhook_workers == 0
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert load_settings(postgres).webhook_workers == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIVO_PORT": "eighty"}, "SIVO_PORT"),
        ({"SIVO_WEBHOOK_ALLOW_NETWORKS": "10.0.0.0/8,nonsense"}, "SIVO_WEBHOOK_ALLOW_NETWORKS"),
        ({"SIVO_DATABASE_URL": "mysql://x"}, "SIVO_DATABASE_URL"),
        ({"SIVO_SECRET_KEY": "c2hvcnQ="}, "32 bytes"),
        ({"SIVO_SECRET_KEY": "%%%"}, "base64"),
        ({"SIVO_WEBHOOK_ENDPOINT_CONCURRENCY": "0"}, "at least 1"),
        ({"SIVO_WEBHOOK_WORKERS": "2"}, "SIVO_WEBHOOK_WORKERS"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"SIVO_DATA_DIR": str(tmp_path), **env})


def test_repr_never_shows_the_master_key(tmp_path: Path) -> None:
    settings = load_settings({"SIVO_DATA_DIR": str(tmp_path)})
    assert base64.b64encode(settings.secret_key).decode() not in repr(settings)
    assert repr(settings.secret_key) not in repr(settings)
