"""Included by ``bidding/court_urls.py`` under ``/bidding/court/collusion/`` (namespace ``bidding``)."""

from django.urls import path

from bidding.collusion import views as v

urlpatterns = [
    path("", v.flag_list, name="collusion_flags"),
    path("<int:flag_id>/", v.flag_detail, name="collusion_flag"),
    path("auctions/<int:auction_id>/evidence.csv", v.evidence_csv, name="collusion_evidence_csv"),
    path("auctions/<int:auction_id>/evidence/", v.evidence_print, name="collusion_evidence_print"),
]
