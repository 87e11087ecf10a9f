"""Websocket routes, collected from each app's ``routing.py`` (if it has one)."""

from importlib import import_module

websocket_urlpatterns: list = []
for _app in ("core", "cases", "settlement", "appraisers", "pricing", "bidding", "marketplace"):
    try:
        _mod = import_module(f"{_app}.routing")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.routing":
            raise
        continue
    websocket_urlpatterns += getattr(_mod, "websocket_urlpatterns", [])
