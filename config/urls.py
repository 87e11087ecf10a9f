"""URL routing: each app's pages under its prefix, one django-ninja API with a router per app."""

from importlib import import_module

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api import api

APPS = ["cases", "settlement", "appraisers", "pricing", "bidding", "marketplace"]

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("core.urls")),
]
for _app in APPS:
    try:
        import_module(f"{_app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.urls":
            raise
        continue
    urlpatterns.append(path(f"{_app}/", include(f"{_app}.urls")))

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
