"""Websocket routes, collected from each app's ``routing.py`` (if it has one)."""

from django.urls import URLPattern, URLResolver

from core.apps import app_modules

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    pattern
    for _app, module in app_modules("routing")
    for pattern in getattr(module, "websocket_urlpatterns", [])
]
