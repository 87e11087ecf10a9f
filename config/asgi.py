"""ASGI entry point: HTTP through Django, websockets through channels with an Origin check.

``AllowedHostsOriginValidator`` refuses a websocket whose Origin header is missing or not
one of ``ALLOWED_HOSTS`` (REC-14: no cross-site websocket hijacking). Static files are
served by the app itself only when ``GAVEL_SERVE_STATIC`` is on (the demo, browser tests);
production serves them from the proxy after ``collectstatic``.
"""

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()
# Refuse to start without a secret key: with DEBUG off SECRET_KEY must come from the
# environment, and reading an empty one raises ImproperlyConfigured.
_ = settings.SECRET_KEY
# Nor without the audit chain's key (GAVEL_AUDIT_KEY, kept outside the database).
from core.audit import require_key  # noqa: E402  (needs apps loaded)

require_key()

from config.routing import websocket_urlpatterns  # noqa: E402  (needs apps loaded)

http_app = django_asgi_app
if settings.GAVEL_SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)


def _receipt_stamped(app: Any) -> Any:
    """AUC-24: the server's receipt time of each HTTP request, taken before Django queues it
    for a thread (``scope["gavel_received_at"]``; the bid API uses it as the bid time)."""
    from core import clock

    async def stamped(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "gavel_received_at": clock.now()}, receive, send)

    return stamped


application = ProtocolTypeRouter(
    {
        "http": _receipt_stamped(http_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

if not settings.DEBUG:
    # Load now what the first requests would (the listing search's word dictionary), then
    # freeze it out of the garbage collector's full collections (core.warmup).
    from core.warmup import warm_up

    warm_up()
