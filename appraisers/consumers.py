"""The live draw (摇号) page: one group per draw; the record is pushed after each step commits.

Read-only and public (REC-09: draw results are published): on connect the consumer sends the
current public record; afterwards every commitment, reveal, public value and the result are
pushed as ``{"type": "record", "record": {...}}`` once their transaction has committed.
Secrets stay out of the record until the draw is done. A client that missed a push asks for
``{"type": "snapshot"}``.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer


@database_sync_to_async
def _record(draw_id: int) -> dict[str, Any] | None:
    from appraisers.models import LotDraw
    from appraisers.selectors import draw_public_record

    draw = (
        LotDraw.objects.select_related("request__case", "request__asset").filter(pk=draw_id).first()
    )
    return draw_public_record(draw) if draw else None


class DrawConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.draw_id = int(self.scope["url_route"]["kwargs"]["draw_id"])
        self.group = f"appraisers.draw.{self.draw_id}"
        record = await _record(self.draw_id)
        if record is None:
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "record", "record": record})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "snapshot":
            await self.send_json({"type": "record", "record": await _record(self.draw_id)})

    async def draw_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "record", "record": event["record"]})
