"""Websocket routes of the appraisers app (collected by ``config.routing``)."""

from django.urls import path

from appraisers.consumers import DrawConsumer

websocket_urlpatterns = [path("ws/appraisers/draws/<int:draw_id>/", DrawConsumer.as_asgi())]
