"""Websocket health check and clock sync: ``/ws/ping/`` answers the server time.

Clients (the live auction page) use it to estimate their offset from the server clock,
which alone decides (NJA 20, REC-04). Every websocket passes the Origin check in
``config.asgi`` first (REC-14).
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core import clock


def _time_payload(kind: str) -> dict[str, Any]:
    now = clock.now()
    return {"type": kind, "server_time": now.isoformat(), "server_ms": int(now.timestamp() * 1000)}


class PingConsumer(AsyncJsonWebsocketConsumer):
    """On connect: ``{"type": "hello", "server_time", "server_ms"}``. On any message: a
    ``pong`` with the server time, echoing ``client_ms`` when the client sent one."""

    async def connect(self) -> None:
        await self.accept()
        await self.send_json(_time_payload("hello"))

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        reply = _time_payload("pong")
        if isinstance(content, dict) and isinstance(content.get("client_ms"), int | float):
            reply["client_ms"] = content["client_ms"]
        await self.send_json(reply)
