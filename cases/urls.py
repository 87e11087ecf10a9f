"""Pages of the cases app, mounted at /cases/."""

from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.my_cases, name="my_cases"),
    path("new/", views.case_new, name="case_new"),
    path("identity/", views.identity, name="identity"),
    path("portal/", views.portal, name="portal"),
    path("portal/<int:case_id>/", views.portal_case, name="portal_case"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/parties/new/", views.party_new, name="party_new"),
    path("<int:case_id>/parties/<int:party_id>/reveal/", views.party_reveal, name="party_reveal"),
    path("<int:case_id>/assets/new/", views.asset_new, name="asset_new"),
    path("<int:case_id>/assets/<int:asset_id>/", views.asset_detail, name="asset"),
    path("<int:case_id>/assets/<int:asset_id>/edit/", views.asset_edit, name="asset_edit"),
    path(
        "<int:case_id>/assets/<int:asset_id>/disclosures/new/",
        views.disclosure_new,
        name="disclosure_new",
    ),
    path(
        "<int:case_id>/assets/<int:asset_id>/seizures/new/", views.seizure_new, name="seizure_new"
    ),
    path("<int:case_id>/assets/<int:asset_id>/files/new/", views.file_new, name="file_new"),
    path("<int:case_id>/lots/new/", views.lot_new, name="lot_new"),
]
