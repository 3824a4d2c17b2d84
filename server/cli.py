"""The ``sivo`` command: serve, migrate, bootstrap tenants and dashboard users, rotate keys,
render an org's call center definition."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from aiohttp import web

from server import heap, logs
from server.app import RedactingAccessLogger, create_app
from server.clock import SystemClock
from server.crypto import SecretBox
from server.failures import Failure, NotFound
from server.identity import IdentityService
from server.salesforce.certificates import OrgCertificates
from server.salesforce.orgs import SalesforceOrgs
from server.salesforce.scrt2_jwt import ActiveKeys
from server.settings import ConfigError, Settings, load_settings
from server.store import salesforce as salesforce_store
from server.store.db import Database
from server.tokens import TokenService

T = TypeVar("T")


async def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        return await work(db)
    finally:
        await db.close()


def _tokens(settings: Settings, db: Database) -> TokenService:
    return TokenService(
        db=db, box=SecretBox(settings.secret_key), clock=SystemClock(), issuer=settings.public_url
    )


async def _call_center(settings: Settings, db: Database, reference: str) -> str:
    async with db.read() as conn:
        row = await salesforce_store.org_by_any_id(conn, reference)
    if row is None:
        raise NotFound("Salesforce org")
    box, clock = SecretBox(settings.secret_key), SystemClock()
    async with httpx.AsyncClient() as http:  # unused: rendering sends nothing
        orgs = SalesforceOrgs(
            db=db,
            box=box,
            clock=clock,
            http=http,
            settings=settings.salesforce,
            public_url=settings.public_url,
            certificates=OrgCertificates(
                db=db, box=box, clock=clock, keys=ActiveKeys(db=db, box=box)
            ),
        )
        return await orgs.call_center_xml(row["tenant_id"], row["id"])


def _serve(settings: Settings, host: str | None, port: int | None) -> None:
    # SIVO_PUBLIC_URL, when set, is where clients reach SIVO (a proxy, https): --host and
    # --port only move the socket. Without it the public URL follows the socket.
    derived = settings.public_url == f"http://{settings.host}:{settings.port}"
    host, port = host or settings.host, port or settings.port
    settings = settings.with_overrides(
        host=host,
        port=port,
        public_url=f"http://{host}:{port}" if derived else settings.public_url,
    )
    print(f"SIVO on {settings.public_url}  (dashboard: {settings.public_url}/admin/)", flush=True)
    print(f"database: {settings.database_url}", flush=True)
    app = create_app(settings)
    heap.install(app)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log_class=RedactingAccessLogger,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sivo")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    db_cmd = sub.add_parser("db", help="database maintenance")
    db_cmd.add_argument("action", choices=["upgrade"])
    tenant = sub.add_parser("tenant", help="tenants")
    tenant_sub = tenant.add_subparsers(dest="action", required=True)
    tenant_create = tenant_sub.add_parser("create")
    tenant_create.add_argument("name")
    admin = sub.add_parser("admin", help="dashboard users")
    admin_sub = admin.add_subparsers(dest="action", required=True)
    admin_create = admin_sub.add_parser("create")
    admin_create.add_argument("--tenant", required=True)
    admin_create.add_argument("--email", required=True)
    salesforce = sub.add_parser("salesforce", help="connected Salesforce orgs")
    salesforce_sub = salesforce.add_subparsers(dest="action", required=True)
    call_center = salesforce_sub.add_parser(
        "call-center", help="print the call center definition to import in an org"
    )
    call_center.add_argument("--org", required=True, help="SIVO's org id (sfo_…) or the org id")
    keys = sub.add_parser("keys", help="agent token signing keys")
    keys.add_argument("action", choices=["rotate", "revoke"])
    keys.add_argument("kid", nargs="?", help="with revoke: the key id to stop trusting")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"sivo: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)

    try:
        if args.command == "serve":
            _serve(settings, args.host, args.port)
        elif args.command == "db":
            asyncio.run(_with_db(settings, lambda db: db.upgrade()))
            print("database is at the newest schema")
        elif args.command == "tenant":
            tenant_id, key = asyncio.run(
                _with_db(
                    settings,
                    lambda db: IdentityService(db=db, clock=SystemClock()).create_tenant(args.name),
                )
            )
            print(json.dumps({"tenant_id": tenant_id, "api_key": key}))
        elif args.command == "admin":
            generated = sys.stdin.isatty() or not (password := sys.stdin.readline().strip())
            if generated:
                password = secrets.token_urlsafe(18)
            user_id = asyncio.run(
                _with_db(
                    settings,
                    lambda db: IdentityService(db=db, clock=SystemClock()).create_admin(
                        args.tenant, args.email, password
                    ),
                )
            )
            out = {"user_id": user_id, "email": args.email.strip().lower()}
            if generated:
                out["password"] = password
            print(json.dumps(out))
        elif args.command == "salesforce":
            print(asyncio.run(_with_db(settings, lambda db: _call_center(settings, db, args.org))))
        elif args.command == "keys" and args.action == "revoke":
            if not args.kid:
                print("sivo: keys revoke KID", file=sys.stderr)
                return 2
            found = asyncio.run(
                _with_db(settings, lambda db: _tokens(settings, db).revoke(args.kid))
            )
            print(json.dumps({"revoked": args.kid, "found": found}))
            return 0 if found else 1
        elif args.command == "keys":
            kid = asyncio.run(_with_db(settings, lambda db: _tokens(settings, db).rotate()))
            print(json.dumps({"kid": kid}))
    except Failure as exc:
        print(f"sivo: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
