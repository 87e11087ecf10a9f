"""HTTP API of core (mounted at ``/api/core/``): the court pages of core as API calls
(issue 13: everything a court page can do has an API call), through ``core.court_api``.

- ``/operator/courts`` and ``/operator/courts/{pk}``: the operator creates a court, changes
  it, adds its staff (each gets an enrolment link by message), ``core.operator_views``;
- ``/operator/people/{pk}``: re-issue a person's enrolment link, change, (de)activate;
- ``/documents/{pk}``: re-issue a corrected document (staff of the issuing court).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from core import onboarding
from core.court_api import mount_court_pages
from core.documents import views as documents
from core.models import Court, Document, User
from core.operator_views import COURT_ACTIONS, PERSON_ACTIONS, operator

router = Router(tags=["core"])


def _courts(request: HttpRequest) -> None:
    operator(request)


def _court(request: HttpRequest, pk: int) -> Court:
    operator(request)
    return get_object_or_404(Court, pk=pk)


def _person(request: HttpRequest, pk: int) -> User:
    operator(request)
    return get_object_or_404(User, pk=pk, role__in=onboarding.ONBOARD_ROLES)


def _document(_request: HttpRequest, pk: int) -> Document:
    # The action checks ``core.reissue_document`` on the document (as the page does).
    return get_object_or_404(Document.objects.select_related("court").defer("pdf"), pk=pk)


mount_court_pages(
    router,
    "onboarding",
    [
        ("/operator/courts", COURT_ACTIONS, _courts, "core_operator_courts", "法院（运营）"),
        (
            "/operator/courts/{court_id}",
            COURT_ACTIONS,
            _court,
            "core_operator_court",
            "法院详情（运营）",
        ),
        (
            "/operator/people/{person_id}",
            PERSON_ACTIONS,
            _person,
            "core_operator_person",
            "人员（运营）",
        ),
    ],
)
mount_court_pages(
    router,
    "documents",
    [("/documents/{document_id}", documents.REISSUE_ACTIONS, _document, "core_document", "文书")],
)
