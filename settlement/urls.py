from django.urls import path

from settlement import views

app_name = "settlement"

urlpatterns = [
    path("webhooks/adyen", views.adyen_webhook, name="adyen_webhook"),
    path("webhooks/adyen/transfers", views.adyen_transfer_webhook, name="adyen_transfer_webhook"),
    path("simulator/pay/<str:token>/", views.sim_pay, name="sim_pay"),
]
