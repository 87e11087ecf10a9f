"""Pages of bidding, mounted at /bidding/: the public auction page, the bidder's steps, and
the court pages (``bidding/court_urls.py``, by the engine) under /bidding/court/."""

from django.urls import URLPattern, URLResolver, include, path

from bidding import views

app_name = "bidding"

urlpatterns: list[URLPattern | URLResolver] = [
    path("auctions/<int:auction_id>/", views.auction_page, name="auction"),
    path(
        "auctions/<int:auction_id>/snapshot", views.auction_snapshot_view, name="auction_snapshot"
    ),
    path("auctions/<int:auction_id>/bids/", views.auction_bids, name="auction_bids"),
    path("auctions/<int:auction_id>/register/", views.register, name="register"),
    path("auctions/<int:auction_id>/deposit/", views.deposit, name="deposit"),
    path("auctions/<int:auction_id>/password/", views.password, name="password"),
    path("auctions/<int:auction_id>/questions/", views.question_ask, name="question_ask"),
    path("court/", include("bidding.court_urls")),
]
