from django.urls import path

from appraisers.views import court, draw, firm, party, roster

app_name = "appraisers"

urlpatterns = [
    path("roster/", roster.roster_list, name="roster_list"),
    path("roster/firms/new/", roster.firm_new, name="firm_new"),
    path("roster/firms/<int:pk>/", roster.firm_detail, name="firm_detail"),
    path("roster/export/<str:kind>.csv", roster.roster_export, name="roster_export"),
    path("roster/import/", roster.roster_import, name="roster_import"),
    path("firm/", firm.firm_portal, name="firm_portal"),
    path("firm/commissions/<int:pk>/", firm.firm_commission, name="firm_commission"),
    path("firm/fees/", firm.firm_fees, name="firm_fees"),
    path("court/", court.court_requests, name="court_requests"),
    path("court/requests/<int:pk>/", court.court_request, name="court_request"),
    path("mine/", party.party_requests, name="party_requests"),
    path("requests/<int:pk>/", party.party_request, name="party_request"),
    path("reports/<int:pk>/", party.report_download, name="report_download"),
    path("draws/<int:pk>/", draw.draw_live, name="draw_live"),
    path("draws/<int:pk>/participate/", draw.draw_participate, name="draw_participate"),
    path("draws/<int:pk>/verify/", draw.draw_verify_page, name="draw_verify"),
    path("draws/<int:pk>/record.json", draw.draw_record_json, name="draw_record_json"),
]
