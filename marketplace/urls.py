from django.urls import path

from marketplace import views

app_name = "marketplace"

urlpatterns = [
    # the public and bidders
    path("", views.listings, name="listings"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("auctions/<int:auction_id>/", views.auction_overview, name="auction"),
    path("auctions/<int:auction_id>/watch/", views.watch_toggle, name="watch"),
    path("watchlist/", views.watchlist, name="watchlist"),
    path("searches/save/", views.saved_search_save, name="saved_search_save"),
    path("searches/<int:pk>/delete/", views.saved_search_remove, name="saved_search_remove"),
    path("statistics/", views.public_statistics_view, name="public_statistics"),
    path("results/", views.results_view, name="results"),
    path("results/<int:auction_id>/", views.result_view, name="result"),
    path("account/", views.account_view, name="account"),
    path("account/wins/<int:auction_id>/pay/", views.balance_pay, name="balance_pay"),
    path("practice/", views.practice_view, name="practice"),
    path("practice/start/", views.practice_start_view, name="practice_start"),
    path("cases/<int:case_id>/", views.transparency_view, name="transparency"),
    path("lots/<int:lot_id>/viewings/", views.lot_viewings, name="lot_viewings"),
    path("viewings/", views.my_viewings_view, name="my_viewings"),
    path(
        "viewings/slots/<int:slot_id>/request/", views.viewing_request_view, name="viewing_request"
    ),
    path("viewings/<int:pk>/cancel/", views.viewing_cancel_view, name="viewing_cancel"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    # court staff
    path("court/workbench/", views.workbench, name="workbench"),
    path("court/statistics/", views.statistics_view, name="statistics"),
    path("court/statistics/courts/", views.court_statistics_courts, name="statistics_courts"),
    path("court/viewings/", views.court_viewings, name="court_viewings"),
    path(
        "court/viewings/<int:pk>/decide/", views.court_viewing_decide, name="court_viewing_decide"
    ),
    path(
        "court/viewings/slots/<int:pk>/cancel/",
        views.court_viewing_slot_cancel,
        name="court_viewing_slot_cancel",
    ),
]
