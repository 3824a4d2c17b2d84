"""``python -m devorg``: run the emulated Salesforce org and print its URLs."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from .app import DevorgServer
from .http_control import org_summary
from .seed import DEFAULT_PASSWORD, SeedError, demo_seed, load_seed
from .settings import DevorgSettings

logger = logging.getLogger("devorg")


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devorg", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="org host port (default 8081)")
    parser.add_argument(
        "--scrt-port", type=int, default=8082, help="SCRT2 host port (default 8082)"
    )
    parser.add_argument("--seed", type=Path, help="JSON seed file to load")
    parser.add_argument("--demo", action="store_true", help="load the built-in demo data")
    parser.add_argument(
        "--snapshot", type=Path, help="JSON file loaded at start (if present) and written at stop"
    )
    parser.add_argument("--softphone-url", help="softphone framed by the console page")
    parser.add_argument(
        "--auto-approve",
        metavar="USERNAME",
        help="test switch: /authorize approves at once for this user",
    )
    parser.add_argument(
        "--tls-cert", type=Path, metavar="PEM", help="serve HTTPS on both ports with this cert"
    )
    parser.add_argument("--tls-key", type=Path, metavar="PEM", help="private key of --tls-cert")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    return args


def _print_urls(server: DevorgServer) -> None:
    devorg = server.devorg
    lines = [
        f"devorg org host     {devorg.base_url}",
        f"  login (prod)      {devorg.login_url}/services/oauth2/authorize",
        f"  login (sandbox)   {devorg.sandbox_login_url}/services/oauth2/authorize",
        f"  REST API          {devorg.base_url}/services/data/v68.0/",
        f"  console           {devorg.base_url}/lightning/page/console",
        f"  Open CTI script   {devorg.base_url}/support/api/68.0/lightning/opencti_min.js",
        f"  control API       {devorg.base_url}/__devorg/",
        f"devorg SCRT2 host   {devorg.scrt_url}/telephony/v1",
    ]
    for org in devorg.store.orgs.values():
        summary = org_summary(devorg, org)
        lines.append(
            f"org {summary['name']!r} {org.org_id} "
            f"({'sandbox' if org.is_sandbox else 'production'}) "
            f"login {summary['loginUrl']}"
        )
        lines.append(
            f"  users: {', '.join(summary['users'])} (password {DEFAULT_PASSWORD!r} unless seeded)"
        )
    print("\n".join(lines), flush=True)


async def _serve(args: argparse.Namespace) -> None:
    settings = DevorgSettings(
        host=args.host,
        port=args.port,
        scrt_port=args.scrt_port,
        snapshot_path=args.snapshot,
        softphone_url=args.softphone_url,
        auto_approve_username=args.auto_approve,
        tls_cert_file=args.tls_cert,
        tls_key_file=args.tls_key,
    )
    server = DevorgServer(settings)
    await server.start()
    try:
        if args.demo and not server.devorg.store.orgs:
            load_seed(server.devorg, demo_seed(args.softphone_url))
        if args.seed:
            load_seed(server.devorg, json.loads(args.seed.read_text()))
        _print_urls(server)
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except (SeedError, OSError, json.JSONDecodeError) as exc:
        print(f"devorg: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
