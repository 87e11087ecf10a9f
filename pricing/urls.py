from django.urls import path

from pricing import views

app_name = "pricing"

urlpatterns = [
    path("", views.court_list, name="court_list"),
    path("procedures/<int:pk>/", views.procedure_page, name="procedure"),
    path("mine/", views.party_list, name="party_list"),
    path("party/<int:pk>/", views.party_page, name="party"),
    path("roster/", views.roster, name="roster"),
    path("models/", views.models_page, name="models"),
]
