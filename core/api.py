"""HTTP API of core (mounted at ``/api/core/``): the court pages of core as API calls
(issue 13: everything a court page can do has an API call), through ``core.court_api``.

- ``/operator/courts`` and ``/operator/courts/{pk}``: the operator creates a court, changes
  it, adds its staff (each gets an enrolment link by message), ``core.operator_views``;
- ``/operator/people/{pk}``: re-issue a person's enrolment link, change, (de)activate;
- ``/documents/{pk}``: re-issue a corrected document (staff of the issuing court);
- ``/duties``: what waits for the signed-in person, as the workbench lists it (``core.duties``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import django_auth

from core import onboarding
from core.court_api import mount_court_pages
from core.documents import views as documents
from core.errors import DomainError
from core.models import Court, Document, User
from core.operator_views import COURT_ACTIONS, PERSON_ACTIONS, operator
from core.types import AuthedRequest

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


# ---- the duties that wait for the person (the workbench's list, core.duties) -----------------


class DutyOut(Schema):
    """One thing that waits for the person: ``kind`` a stable code, ``section`` approval /
    draft / todo, ``title`` what to do and ``subject`` the thing (named as people know it, in
    the viewer's language), ``url`` the page where it is done."""

    kind: str
    section: str
    title: str
    subject: str
    url: str | None
    since: dt.datetime | None
    due_at: dt.datetime | None
    rule: str
    detail: str
    amount_fen: int | None


@router.get(
    "/duties",
    auth=django_auth,
    response=list[DutyOut],
    summary="我的待办：等待本人处理的全部事项（与工作台相同）",
)
def duties(request: AuthedRequest, section: str = "") -> list[dict[str, Any]]:
    """Every duty that waits for the signed-in person, as the workbench lists them (signatures,
    drafts to publish, commissions, reports, objections, balances owed, 拍品咨询, training
    runs…), the earliest due first. ``section``: ``approval``, ``draft`` or ``todo`` to filter;
    anything else is refused with ``invalid_input``. Court deadlines have their own list
    (``GET /api/marketplace/workbench``)."""
    from core.duties import APPROVAL, DRAFT, TODO, duties_for

    if section and section not in (APPROVAL, DRAFT, TODO):
        raise DomainError(
            "invalid_input",
            _("待办类别须为 approval、draft 或 todo"),
            field="section",
        )
    return [
        {
            "kind": d.kind,
            "section": d.section,
            "title": str(d.title),
            "subject": str(d.subject),
            "url": d.url,
            "since": d.since,
            "due_at": d.due_at,
            "rule": d.rule,
            "detail": str(d.detail),
            "amount_fen": d.amount_fen,
        }
        for d in duties_for(request.user, section=section or None)
    ]
