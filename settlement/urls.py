from django.urls import path

from settlement import arrival_views, views

app_name = "settlement"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/<int:case_id>/", views.account_detail, name="account_detail"),
    path("accounts/<int:case_id>/notices/", views.notice_issue, name="notice_issue"),
    path("accounts/<int:case_id>/plan/", views.plan_draft, name="plan_draft"),
    path("accounts/<int:case_id>/advances/", views.fee_advance_new, name="fee_advance_new"),
    path("accounts/<int:case_id>/statement/", views.statement_issue, name="statement_issue"),
    path("accounts/<int:case_id>/arrivals/", arrival_views.arrivals_page, name="arrivals"),
    path("notices/<str:token>/", views.notice_detail, name="notice_detail"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("payouts/<int:pk>/", views.payout_detail, name="payout_detail"),
    path("receipts/<int:pk>/claim/", views.receipt_claim, name="receipt_claim"),
    path("receipts/import/", views.receipts_import, name="receipts_import"),
    path("reconcile/", views.reconcile_view, name="reconcile"),
    path("reconcile/<int:pk>/", views.reconcile_run, name="reconcile_run"),
    path("deposits/<int:pk>/reveal/", views.hold_reveal, name="hold_reveal"),
    path("webhooks/adyen", views.adyen_webhook, name="adyen_webhook"),
    path("webhooks/adyen/transfers", views.adyen_transfer_webhook, name="adyen_transfer_webhook"),
    path("simulator/pay/<str:token>/", views.sim_pay, name="sim_pay"),
    path("simulator/statement/", views.sim_statement, name="sim_statement"),
]
