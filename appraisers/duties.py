"""What waits for a firm user and for a party in an appraisal (core.duties, issue 13).

Firm users have no deadline rows of their own (REC-13 deadlines are the court's); their
duties are the state of their commissions: one to accept or decline (APR-05), a report due
(APR-07), a court's question or an expert's correction to answer (APR-11/13), an objection
forwarded to them (APR-13), materials to return (APR-09). A party's: the agreement on a firm while the
negotiation window is open (APR-02) and the answer to a firm's reply to their objection.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core.duties import TODO, Duty, register
from core.models import Role


def _firm_duties(user: Any) -> list[Duty]:
    from appraisers.models import Commission, Objection
    from appraisers.selectors import firm_of

    if getattr(user, "role", None) != Role.APPRAISER:
        return []
    firm = firm_of(user)
    if firm is None:
        return []
    S = Commission.State
    out: list[Duty] = []
    rows = (
        Commission.objects.filter(firm=firm)
        .filter(
            Q(state__in=[S.OFFERED, S.ACCEPTED, S.IN_PROGRESS, S.UNDER_REVIEW])
            | Q(materials_return_due_at__isnull=False, materials_returned_at__isnull=True)
        )
        .select_related("request__case", "request__asset")
        .order_by("offered_at", "pk")
    )
    for c in rows[:200]:
        subject = f"{c.request.case.number} · {c.request.asset.name}"
        url = reverse("appraisers:firm_commission", args=[c.pk])
        if c.state == S.OFFERED:
            out.append(
                Duty(
                    "commission_offer",
                    TODO,
                    _("接受或拒绝委托"),
                    subject,
                    url,
                    since=c.offered_at,
                    rule="APR-05",
                )
            )
        elif c.state in (S.ACCEPTED, S.IN_PROGRESS):
            out.append(
                Duty(
                    "report_due",
                    TODO,
                    _("出具评估报告"),
                    subject,
                    url,
                    since=c.accepted_at or c.offered_at,
                    due_at=c.report_due_at,
                    rule="APR-07",
                )
            )
        elif c.state == S.UNDER_REVIEW:
            out.append(
                Duty(
                    "review_answer",
                    TODO,
                    _("答复法院审查：说明或补正报告"),
                    subject,
                    url,
                    since=c.delivered_at,
                    rule="APR-11",
                )
            )
        if c.materials_return_due_at and not c.materials_returned_at:
            out.append(
                Duty(
                    "materials_return",
                    TODO,
                    _("退回委托材料"),
                    subject,
                    url,
                    since=c.finalized_at or c.offered_at,
                    due_at=c.materials_return_due_at,
                    rule="APR-09",
                )
            )
    objections = (
        Objection.objects.filter(
            commission__firm=firm,
            status__in=[Objection.Status.FORWARDED, Objection.Status.AWAITING_CORRECTION],
        )
        .select_related("commission__request__case", "commission__request__asset")
        .order_by("filed_at", "pk")
    )
    for o in objections[:200]:
        r = o.commission.request
        out.append(
            Duty(
                "objection_answer",
                TODO,
                _("答复当事人异议")
                if o.status == Objection.Status.FORWARDED
                else _("按专业技术评审意见补正"),
                f"{r.case.number} · {r.asset.name}",
                reverse("appraisers:firm_commission", args=[o.commission_id]),
                since=o.forwarded_at or o.filed_at,
                rule="APR-13",
            )
        )
    return out


def _party_duties(user: Any) -> list[Duty]:
    from appraisers.models import AgreementSubmission, AppraisalRequest, Objection
    from cases.models import Party

    if getattr(user, "role", None) != Role.PARTY:
        return []
    parties = list(Party.objects.filter(user=user).values_list("pk", "case_id"))
    if not parties:
        return []
    party_ids = [pk for pk, _case in parties]
    out: list[Duty] = []
    waiting = (
        AppraisalRequest.objects.filter(
            case_id__in=[case for _pk, case in parties],
            status=AppraisalRequest.Status.AGREEMENT,
        )
        .select_related("case", "asset")
        .order_by("created_at", "pk")
    )
    for req in waiting[:100]:
        done = AgreementSubmission.objects.filter(
            request=req, round=req.round, party_id__in=party_ids
        ).exists()
        if not done:
            out.append(
                Duty(
                    "appraisal_agreement",
                    TODO,
                    _("协商选定评估机构（或同意摇号）"),
                    f"{req.case.number} · {req.asset.name}",
                    reverse("appraisers:party_request", args=[req.pk]),
                    since=req.created_at,
                    due_at=req.agreement_deadline,
                    rule="APR-02",
                )
            )
    answered = (
        Objection.objects.filter(party_id__in=party_ids, status=Objection.Status.ANSWERED)
        .select_related("commission__request__case", "commission__request__asset")
        .order_by("filed_at", "pk")
    )
    for o in answered[:100]:
        r = o.commission.request
        out.append(
            Duty(
                "objection_reply",
                TODO,
                _("评估机构已答复您的异议，请表态"),
                f"{r.case.number} · {r.asset.name}",
                reverse("appraisers:party_request", args=[r.pk]),
                since=o.filed_at,
                rule="APR-13",
            )
        )
    return out


register("appraisers.firm", _firm_duties)
register("appraisers.party", _party_duties)
