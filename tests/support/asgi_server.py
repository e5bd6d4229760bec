"""An ASGI app (``podium serve``'s, with or without the console) on a real uvicorn on a
loopback port, for tests that speak HTTP to it or open it in Chromium."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from podium.starters.devserver import free_port
from starlette.types import ASGIApp

from tests.support.polling import eventually


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """``async with serving(app) as base``: ``app`` listens at ``base`` until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())

    async def listening() -> bool:
        if task.done():
            task.result()  # its error, if it failed to start
        return server.started

    await eventually(listening, "the app to listen")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
