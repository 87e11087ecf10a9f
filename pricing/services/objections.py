"""Objections to an inquiry's report (APR-12/APR-15): a party files within 5 days of
receiving the report, the court decides. Split from ``pricing.services.inquiry``, whose
helpers it uses."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Party
from core import calendar, clock
from core.deadlines import (
    ENFORCEMENT_ACT,
    deadline_title,
    objection_review_open,
    objection_ruling_served,
)
from core.errors import Conflict, DomainError
from core.types import Actor
from pricing.models import (
    InquiryReport,
    Method,
    Objection,
    PricingProcedure,
    ReferencePrice,
)
from pricing.services.inquiry import inquiry_dispatch, objection_window_end
from pricing.services.procedure import (
    _audit,
    _current_step,
    _setting,
)


def _objection_subject(proc: PricingProcedure, obj: Objection) -> str:
    return f"{proc.subject}/objection:{obj.pk}"


@transaction.atomic
def objection_file(
    *,
    party: Party,
    grounds: list[str],
    text: str,
    report: InquiryReport | None = None,
    procedure: PricingProcedure | None = None,
    fraud_evidence: bool = False,
    actor: Actor = None,
) -> Objection:
    """APR-12/14: objections only to online-inquiry (or appraisal) reports, in writing, within 5 days.

    Refused: late ones, ones against a correction, and any against a party agreement or a
    directed inquiry — unless they bring evidence of fraud, duress, collusion or a false
    directed result before the first announcement (then: enforcement supervision).
    """
    if report is None:
        if procedure is None:
            raise DomainError("objection_target_required", _("请指明异议的报告"))
        proc = procedure
        price = proc.prices.filter(status=ReferencePrice.Status.ACTIVE).first()
        step = _current_step(proc)
        method = price.method if price else (step.method if step else "")
        if method in (Method.PARTY_AGREEMENT, Method.DIRECTED_INQUIRY):
            raise DomainError(
                "objection_not_allowed",
                _("对%(method)s结果不得提出异议") % {"method": Method(method).label},
                rule="APR-14",
            )
        raise DomainError("objection_target_required", _("请指明异议的询价报告"), rule="APR-12")
    rep = InquiryReport.objects.select_related(
        "request__inquiry__procedure", "request__platform"
    ).get(pk=report.pk)
    proc = rep.request.inquiry.procedure
    if party.case_id != proc.case_id:
        raise DomainError("not_a_party", _("只有本案当事人、利害关系人可以提出异议"), rule="APR-12")
    bad_grounds = [g for g in grounds if g not in Objection.Ground.values]
    if not grounds or bad_grounds:
        raise DomainError("objection_grounds_required", _("须载明异议事由"), rule="APR-12")
    if not text.strip():
        raise DomainError(
            "objection_text_required", _("异议须以书面形式提出并说明理由"), rule="APR-12"
        )
    refusal: DomainError | None = None
    if rep.kind in (InquiryReport.Kind.CORRECTION, InquiryReport.Kind.OBJECTION_CORRECTION):
        refusal = DomainError(
            "objection_to_correction", _("对补正后的报告不得再提出异议"), rule="APR-14"
        )
    elif not rep.on_time:
        refusal = DomainError(
            "objection_to_unused_report", _("逾期报告不作为定价依据，无须提出异议"), rule="APR-14"
        )
    else:
        end = objection_window_end(report=rep, party=party)
        if end is not None and clock.now() > end:
            refusal = DomainError(
                "objection_late",
                _("异议期已于 %(date)s 届满")
                % {"date": format(end.astimezone(calendar.CST), "%Y-%m-%d")},
                rule="APR-14",
            )
    if (
        Objection.objects.filter(report=rep, party=party)
        .exclude(status=Objection.Status.SUPERVISION)
        .exists()
        and refusal is None
    ):
        raise Conflict("objection_exists", _("已就该报告提出过异议"), rule="APR-12")
    status = Objection.Status.PENDING
    if refusal is not None:
        announced = proc.prices.exclude(announcement_published_at=None).exists()
        if not (fraud_evidence and not announced):
            raise refusal
        status = Objection.Status.SUPERVISION  # APR-14 exception: enforcement supervision
    obj = Objection.objects.create(
        report=rep,
        party=party,
        grounds=list(grounds),
        text=text.strip(),
        filed_at=clock.now(),
        filed_by=actor if getattr(actor, "pk", None) else None,
        status=status,
    )
    if status == Objection.Status.PENDING:
        # REC-12: an objection to the inquiry result is reviewed within 15 days of receipt.
        objection_review_open(
            track=ENFORCEMENT_ACT,
            subject=_objection_subject(proc, obj),
            what=deadline_title(gettext_noop("询价结果异议：%(party)s"), party=party.name),
            filed_at=obj.filed_at,
            court=proc.court_id,
            owner=proc.case.judge,
            party_ref=f"party:{party.pk}",
            actor=actor,
        )
    _audit(
        proc,
        "objection_filed",
        actor=actor,
        after={
            "objection": obj.pk,
            "report": rep.pk,
            "party": party.pk,
            "grounds": list(grounds),
            "status": status,
        },
        reason=text.strip()[:500],
        rules=("APR-12", "APR-14"),
    )
    return obj


@transaction.atomic
def objection_decide(
    *, objection: Objection, upheld: bool, decision: str, actor: Actor = None
) -> Objection:
    """APR-15: rejected → the original result stands; upheld → the platform corrects within 3 days."""
    obj = (
        Objection.objects.select_for_update()
        .select_related("report__request__inquiry__procedure")
        .get(pk=objection.pk)
    )
    if obj.status != Objection.Status.PENDING:
        raise Conflict("objection_decided", _("该异议已处理"), rule="APR-15")
    if not decision.strip():
        raise DomainError("decision_required", _("须写明处理意见"), rule="APR-15")
    proc = obj.report.request.inquiry.procedure
    obj.status = Objection.Status.UPHELD if upheld else Objection.Status.REJECTED
    obj.decision = decision.strip()
    obj.decided_at = clock.now()
    obj.decided_by = actor if getattr(actor, "pk", None) else None
    obj.save()
    if upheld:
        req = obj.report.request
        req.correction_kind = InquiryReport.Kind.OBJECTION_CORRECTION
        req.correction_of = obj.report
        req.correction_note = decision.strip()
        req.correction_due_at = calendar.within_days(
            clock.now(), int(_setting(proc, "inquiry_correction_days")), court=proc.court_id
        )
        req.save()
        inquiry_id = req.inquiry_id
        transaction.on_commit(lambda: inquiry_dispatch(inquiry=inquiry_id))
    # REC-12: the decision is served on the objector; 10 days to apply for reconsideration.
    objection_ruling_served(
        track=ENFORCEMENT_ACT,
        subject=_objection_subject(proc, obj),
        what=deadline_title(gettext_noop("询价结果异议：%(party)s"), party=obj.party.name),
        served_at=obj.decided_at,
        court=proc.court_id,
        owner=proc.case.judge,
        party_ref=f"party:{obj.party_id}",
        actor=actor,
    )
    _audit(
        proc,
        "objection_decided",
        actor=actor,
        after={"objection": obj.pk, "status": obj.status},
        reason=obj.decision,
        rules=("APR-15",),
    )
    return obj
