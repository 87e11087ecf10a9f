"""The fixed result (APR-15), published to pricing as ``AppraisalResultFixed``, and the reissue
of a lapsed result by the original firm (PRC-12).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisers.events import AppraisalResultFixed
from appraisers.models import AppraisalRequest, Commission, Report
from appraisers.services._common import audit, court_contacts, firm_users, notify_many
from appraisers.services.commission import _lock, _transition, result_fix_blockers
from appraisers.services.offer import _offer
from appraisers.services.selection import link
from core import calendar, clock
from core.errors import DomainError, NotFound
from core.events import publish
from core.notifications import text
from core.types import Actor


@transaction.atomic
def result_fix(*, commission: Commission, actor: Actor = None) -> Report:
    """APR-15: once every objection window has closed and every objection is settled, the current
    report (original or corrected) is the result; ``AppraisalResultFixed`` goes out in this
    transaction."""
    c = _lock(commission)
    blockers = result_fix_blockers(c)
    if blockers:
        raise DomainError(
            "result_not_ready",
            _("暂不能确定评估结果：%(blockers)s") % {"blockers": "；".join(blockers)},
            rule="APR-15",
        )
    report = c.current_report()
    if report is None:  # a served commission has its report; refused rather than crashing
        raise DomainError("invalid_state", _("没有可确定为结果的评估报告"), rule="APR-15")
    before = _transition(c, "finalize", rule="APR-15")
    c.finalized_at = clock.now()
    c.save()
    req = AppraisalRequest.objects.select_for_update().get(pk=c.request_id)
    req.status = AppraisalRequest.Status.FIXED
    req.closed_at = c.finalized_at
    req.save(update_fields=["status", "closed_at"])
    valid_until = calendar.end_of_day(report.valid_until)
    audit(
        req,
        action="appraisal.result_fixed",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={
            "state": c.state,
            "report": report.pk,
            "version": report.version,
            "amount_fen": report.amount_fen,
            "valid_until": valid_until,
        },
        rules=["APR-15"],
    )
    publish(
        AppraisalResultFixed(
            procedure_ref=req.procedure_ref,
            case_id=req.case_id,
            asset_id=req.asset_id,
            amount_fen=report.amount_fen,
            report_id=report.pk,
            valid_until=valid_until,
        )
    )
    parties = [p.user for p in req.case.parties.exclude(user=None) if p.user is not None]
    notify_many(
        parties + court_contacts(req) + firm_users(c.firm),
        topic="appraisal.fixed",
        subject=gettext_lazy("评估结果已确定"),
        body=text(
            gettext_lazy("%(case)s：「%(asset)s」评估结果已确定（第%(version)s版报告）。"),
            case=req.case.number,
            asset=req.asset.name,
            version=report.version,
        ),
        key=f"report:{report.pk}:fixed",
        link=link("party_request", req.pk),
        court=req.court,
        legal=False,
    )
    return report


# --- reissue (PRC-12) -----------------------------------------------------------------------


@transaction.atomic
def appraisal_reissue_request(
    *, procedure_ref: str, reason: str, actor: Actor = None
) -> Commission:
    """The result lapsed before the announcement: the original firm reissues within 15 days at
    30% of the fee (PRC-12, PRC-16)."""
    req = AppraisalRequest.objects.select_for_update().filter(procedure_ref=procedure_ref).first()
    if req is None:
        raise NotFound("appraisal_not_found", _("评估申请不存在"))
    if req.status != AppraisalRequest.Status.FIXED:
        raise DomainError("not_fixed", _("评估结果尚未确定，不能要求重新出具"), rule="PRC-12")
    last = (
        req.commissions.filter(state=Commission.State.FINAL)
        .order_by("-finalized_at", "-pk")
        .first()
    )
    if last is None:
        raise DomainError("no_final_commission", _("没有已确定结果的委托"), rule="PRC-12")
    req.status = AppraisalRequest.Status.COMMISSIONED
    req.closed_at = None
    req.save(update_fields=["status", "closed_at"])
    audit(
        req,
        action="appraisal.reissue_requested",
        actor=actor,
        subject=req.subject,
        reason=reason or "",
        after={"firm": last.firm_id, "of": last.pk},
        rules=["PRC-12"],
    )
    return _offer(
        req,
        firm=last.firm,
        ranked=None,
        actor=actor,
        kind=Commission.Kind.REISSUE,
        reissue_of=last.reissue_of or last,
    )
