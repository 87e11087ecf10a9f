"""URL routing: each app's pages under its prefix, one django-ninja API with a router per app."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.i18n import JavaScriptCatalog

from config.api import api
from core import files
from core import views as core_views
from core.apps import app_modules

handler404 = "core.views.not_found"  # JSON under /api/ (core.views.not_found)

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    # Django's language switch, which also stores a signed-in person's choice (core.views).
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    # The words of the project's scripts (charts, the live draw) in the reader's language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", api.urls),
    path("", include("core.urls")),
]
urlpatterns += [
    path(f"{app}/", include(urls)) for app, urls in app_modules("urls") if app != "core"
]

# Uploaded files only through the guarded view (core.files.serve): no public media route.
urlpatterns.append(re_path(r"^files/(?P<name>.+)$", files.serve, name="protected_file"))
