"""Websocket routes of the auction (collected by config/routing.py)."""

from django.urls import path

from bidding.consumers import AuctionConsumer

websocket_urlpatterns = [
    path("ws/auctions/<int:auction_id>/", AuctionConsumer.as_asgi()),
]
