"""The login hosts' HTML: the login page and the approval (consent) page of ``/authorize``.

Both post back to the same URL with the authorization request's parameters as hidden
fields; ``action`` is ``allow`` or ``deny``. The login page also carries ``username`` and
``password``.
"""

from __future__ import annotations

import html

from aiohttp import web

from .oauth import DEFAULT_SCOPES

__all__ = ["consent_page", "login_page"]

_STYLE = """<style>body{font-family:sans-serif;max-width:26rem;margin:4rem auto}
label{display:block;margin:.6rem 0}input[type=text],input[type=password]{width:100%}
.error{color:#b00}</style>"""

_LOGIN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Login | devorg</title>{style}
</head><body><h1>devorg {host} login</h1>
<p>Allow <b>{client}</b> to access your data (scopes: {scope})?</p>
<p class="error">{error}</p>
<form method="post">{hidden}
<label>Username <input type="text" name="username" value="{username}" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button name="action" value="allow">Log in and allow</button>
<button name="action" value="deny">Deny</button>
</form></body></html>"""

_CONSENT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Allow Access? | devorg</title>{style}
</head><body><h1>Allow Access?</h1>
<p>Logged in as <b>{username}</b>.</p>
<p><b>{client}</b> is asking to access your data (scopes: {scope}).</p>
<form method="post">{hidden}
<button name="action" value="allow">Allow</button>
<button name="action" value="deny">Deny</button>
</form></body></html>"""


def _hidden(params: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("username", "password", "action")
    )


def login_page(params: dict[str, str], sandbox: bool, error: str = "") -> web.Response:
    page = _LOGIN.format(
        style=_STYLE,
        host="sandbox" if sandbox else "production",
        client=html.escape(params.get("client_id", "")),
        scope=html.escape(params.get("scope") or DEFAULT_SCOPES),
        error=html.escape(error),
        hidden=_hidden(params),
        username=html.escape(params.get("login_hint", params.get("username", ""))),
    )
    return web.Response(text=page, content_type="text/html", status=400 if error else 200)


def consent_page(params: dict[str, str], username: str) -> web.Response:
    page = _CONSENT.format(
        style=_STYLE,
        username=html.escape(username),
        client=html.escape(params.get("client_id", "")),
        scope=html.escape(params.get("scope") or DEFAULT_SCOPES),
        hidden=_hidden(params),
    )
    return web.Response(text=page, content_type="text/html")
