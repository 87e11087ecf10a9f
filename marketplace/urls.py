from django.urls import path

from marketplace import views

app_name = "marketplace"

urlpatterns = [
    # the public and bidders
    path("lots/<int:lot_id>/viewings/", views.lot_viewings, name="lot_viewings"),
    path("viewings/", views.my_viewings_view, name="my_viewings"),
    path(
        "viewings/slots/<int:slot_id>/request/", views.viewing_request_view, name="viewing_request"
    ),
    path("viewings/<int:pk>/cancel/", views.viewing_cancel_view, name="viewing_cancel"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    # court staff
    path("court/workbench/", views.workbench, name="workbench"),
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
