from django.urls import path

from core import account_views, health, operator_views, region_views, views
from core.documents import views as document_views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    # docs/deployment.md: HAProxy's check of each web process; the worker's and clocks' beats
    path("health/", health.WebHealthView.as_view(), name="health"),
    path("health/processes/", health.ProcessesHealthView.as_view(), name="health_processes"),
    path("regions/", region_views.region_children, name="regions"),
    path("accounts/login/", views.GavelLoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/otp/", views.otp_verify, name="otp"),
    path("accounts/signup/", account_views.signup_start, name="signup"),
    path("accounts/signup/code/", account_views.signup_code, name="signup_code"),
    path("accounts/signup/account/", account_views.signup_account, name="signup_account"),
    path("accounts/enrol/<str:token>/", account_views.enrol, name="enrol"),
    path("terms/", account_views.terms, name="terms"),
    path("operator/", operator_views.operator_home, name="operator"),
    path("operator/courts/", operator_views.courts, name="operator_courts"),
    path("operator/courts/<int:pk>/", operator_views.court_detail, name="operator_court"),
    path("operator/people/", operator_views.people, name="operator_people"),
    path("operator/people/<int:pk>/", operator_views.person_detail, name="operator_person"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("staff/deadlines/", views.my_deadlines, name="my_deadlines"),
    path("notices/", views.published_notices, name="published_notices"),
    path("documents/verify/", document_views.verify_page, name="document_verify"),
    path("documents/verify/<str:code>/", document_views.verify_code, name="document_verify_code"),
    path("documents/<int:pk>/pdf/", document_views.download, name="document_download"),
    path("documents/<int:pk>/reissue/", document_views.reissue, name="document_reissue"),
    path("documents/ca.pem", document_views.ca_certificate, name="document_ca"),
    path("documents/ca.crl", document_views.crl, name="document_crl"),
]
