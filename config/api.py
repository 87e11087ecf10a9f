"""The HTTP API: one NinjaAPI, one router per app (``<app>/api.py`` exposes ``router``)."""

from core.api_errors import GavelAPI, GuardedParser, install_error_handlers
from core.apps import app_modules

api = GavelAPI(title="Gavel API", version="1", urls_namespace="api", parser=GuardedParser())
install_error_handlers(api)

for _app, _mod in app_modules("api"):
    api.add_router(f"/{_app}/", _mod.router)
