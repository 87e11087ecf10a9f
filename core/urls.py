from django.urls import path

from core import views

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
    path("notices/", views.published_notices, name="published_notices"),
]
