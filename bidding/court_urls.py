"""Court pages, included by ``bidding/urls.py`` under ``/bidding/court/`` (namespace ``bidding``)."""

from django.urls import include, path

from bidding import court_views as v

urlpatterns = [
    path("", v.court_auction_list, name="court_auctions"),
    path("questions/", v.court_questions, name="court_questions"),  # issue 17
    path(
        "questions/<int:question_id>/<slug:decision>/",
        v.court_question_decide,
        name="court_question_decide",
    ),
    path("collusion/", include("bidding.collusion.urls")),  # issue 19
    path("lots/<int:lot_id>/new/", v.court_auction_new, name="court_auction_new"),
    path("lots/<int:lot_id>/", v.court_lot, name="court_lot"),
    path("auctions/<int:auction_id>/in-lieu/", v.court_in_lieu, name="court_in_lieu"),
    path("in-lieu-draws/<int:draw_id>/", v.in_lieu_draw_page, name="in_lieu_draw"),
    path(
        "in-lieu-draws/<int:draw_id>/record.json",
        v.in_lieu_draw_record_json,
        name="in_lieu_draw_record",
    ),
    path("auctions/<int:auction_id>/", v.court_auction_detail, name="court_auction"),
    path("auctions/<int:auction_id>/edit/", v.court_auction_edit, name="court_auction_edit"),
    path(
        "auctions/<int:auction_id>/do/<slug:name>/",
        v.court_auction_action,
        name="court_auction_action",
    ),
    path(
        "registrations/<int:registration_id>/reveal/",
        v.court_registration_reveal,
        name="court_registration_reveal",
    ),
]
