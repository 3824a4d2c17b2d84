"""SIVO's app under test, served the way ``sivo serve`` serves it.

aiohttp's ``TestServer`` cancels a handler whose client went away
(``handler_cancellation=True``); ``web.run_app``, which ``sivo serve`` uses, lets it finish.
The difference shows in Chromium tests: a reload aborts the page's asset requests, and a
``FileResponse`` cancelled while its file is being opened in the executor thread leaves that
file to the garbage collector (a ``ResourceWarning``, an error under ``filterwarnings``).
Tests serve as production does, so they see what production does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class ServedServer(TestServer):
    async def _make_runner(self, **kwargs: Any) -> web.BaseRunner:
        kwargs["handler_cancellation"] = False  # TestServer.start_server passes True
        return await super()._make_runner(**kwargs)
