"""The HTTP API: one NinjaAPI, one router per app (``<app>/api.py`` exposes ``router``)."""

from importlib import import_module

from ninja import NinjaAPI

from core.api_errors import install_error_handlers

api = NinjaAPI(title="Gavel API", version="1", urls_namespace="api")
install_error_handlers(api)

for _app in ("core", "cases", "settlement", "appraisers", "pricing", "bidding", "marketplace"):
    try:
        _mod = import_module(f"{_app}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.api":
            raise
        continue
    api.add_router(f"/{_app}/", _mod.router)
