"""The division tree for pickers: ``/regions/?parent=360000`` → that division's children."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from core import regions


@require_GET
@cache_control(public=True, max_age=86400)
def region_children(request: HttpRequest) -> JsonResponse:
    """Public and the same for everyone: the provinces, or the children of ``parent``."""
    parent = (request.GET.get("parent") or "").strip()
    if parent and regions.region(parent) is None:
        return JsonResponse(
            {"code": "unknown_region", "message": "行政区划代码不存在", "rule": None}, status=404
        )
    return JsonResponse(
        {
            "parent": parent,
            "regions": [
                {"code": r.code, "name": r.name, "level": r.level} for r in regions.children(parent)
            ],
        }
    )
