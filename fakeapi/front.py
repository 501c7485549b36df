"""One Bot API address for several fake bots: each request goes to the fake of its token.

Telegram serves every bot at one address, the token in the path (`/bot<token>/<method>`,
`/file/bot<token>/<path>`); a process serving several bots (several counties) talks to it
with each bot's token. Each `FakeBotAPI` keeps its own world (users, chats, updates,
webhook); this front only picks which one answers. An unknown token gets Telegram's 401.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from fakeapi.errors import ApiError
from fakeapi.server import MAX_UPLOAD, FakeBotAPI, error_response, serve


class FakeBotFront:
    """Serves several `FakeBotAPI`s (not started themselves) at one base URL."""

    def __init__(self, apis: Iterable[FakeBotAPI]) -> None:
        self.apis = {api.token: api for api in apis}
        self.base_url: str | None = None
        self._runner: web.AppRunner | None = None
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self.app = app

    async def _method(self, request: web.Request) -> web.StreamResponse:
        api = self.apis.get(request.match_info["token"])
        if api is None:
            return error_response(ApiError(401, "Unauthorized"))
        return await api.handle_method(request)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        api = self.apis.get(request.match_info["token"])
        if api is None:
            return error_response(ApiError(401, "Unauthorized"))
        return await api.handle_file(request)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); returns the base URL for every bot."""
        for api in self.apis.values():
            api.prepare()
        self._runner, self.base_url = await serve(self.app, host, port)
        for api in self.apis.values():
            api.base_url = self.base_url
        return self.base_url

    async def stop(self) -> None:
        """Wake every fake's long polls, stop their webhooks, then the server."""
        for api in self.apis.values():
            await api.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
