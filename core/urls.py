from django.urls import path

from core import views
from core.documents import views as document_views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.GavelLoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/otp/", views.otp_verify, name="otp"),
    path("accounts/otp/setup/", views.otp_setup, name="otp_setup"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("staff/deadlines/", views.my_deadlines, name="my_deadlines"),
    path("documents/verify/", document_views.verify_page, name="document_verify"),
    path("documents/verify/<str:code>/", document_views.verify_code, name="document_verify_code"),
    path("documents/<int:pk>/pdf/", document_views.download, name="document_download"),
    path("documents/ca.pem", document_views.ca_certificate, name="document_ca"),
    path("documents/ca.crl", document_views.crl, name="document_crl"),
]
