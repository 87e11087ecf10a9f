"""URL routing: each app's pages under its prefix, one django-ninja API with a router per app."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api import api
from core.apps import app_modules

handler404 = "core.views.not_found"  # JSON under /api/ (core.views.not_found)

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("core.urls")),
]
urlpatterns += [
    path(f"{app}/", include(urls)) for app, urls in app_modules("urls") if app != "core"
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
