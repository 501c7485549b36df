"""Starting one of the bot's small aiohttp servers (the webhook, the monitoring server)."""

from __future__ import annotations

from aiohttp import web


async def listen(runner: web.AppRunner, host: str, port: int) -> str:
    """Set `runner` up and listen on host:port (0: any free port); the base URL it took.
    A port that cannot be opened leaves nothing behind."""
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = int(runner.addresses[0][1]) if runner.addresses else port
    return f"http://{host}:{bound}"
