"""A commission (委托) to one firm: what every commission service shares (the row lock, the
state transitions, the firm-user check of REC-14, the report deadline's rule) and the reads the
pages share with the services: the report's own checks (APR-11), each party's objection window
(APR-12) and what still stops the result from being fixed (APR-15).

The commission services live by topic: ``offer`` (offer, accept/decline, cancellation),
``inspection``, ``report_deadline`` (extension, pause, lateness), ``report`` (delivery, court
review, service), ``result`` (the fixed result, reissue), ``sweep``; ``fees`` takes the declared
costs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from appraisers.models import Appraiser, Commission, FirmUser, Report
from cases.models import Party
from core import calendar, clock
from core.errors import DomainError, PermissionDenied
from core.models import User
from core.service import recipient_served_at
from core.types import Actor

# APR-12/13: the 5-day objection window is a constant (RULES.md §8), never a setting.
OBJECTION_DAYS = 5
REPORT_KIND = "appraisal_report"
CORRECTION_KIND = "appraisal_report_correction"


def _report_rule(c: Commission) -> str:
    return "PRC-12" if c.kind == Commission.Kind.REISSUE else "APR-07"


def _report_due(c: Commission) -> dt.datetime:
    """The report deadline: every offered commission has one (only a skipped firm's has not)."""
    if c.report_due_at is None:
        raise DomainError("invalid_state", _("该委托没有报告期限"), rule=_report_rule(c))
    return c.report_due_at


def _lock(c: Commission) -> Commission:
    return Commission.objects.select_for_update().select_related("request", "firm").get(pk=c.pk)


def _transition(c: Commission, name: str, *, rule: str | None = None) -> str:
    """Run an FSM transition, turning "not allowed here" into a Chinese refusal."""
    before = c.state
    method = getattr(c, name)
    from django_fsm import can_proceed

    if not can_proceed(method):
        raise DomainError(
            "invalid_state",
            _("当前状态（%(get_state_display)s）不能进行此操作")
            % {"get_state_display": c.get_state_display()},
            rule=rule,
        )
    method()
    return before


def local_date(when: dt.datetime) -> dt.date:
    return when.astimezone(calendar.CST).date()


def require_firm_user(c: Commission, actor: Actor) -> User:
    """Only a user of the commissioned firm acts for it (REC-14); returns that user."""
    # Read the firm user afresh: a user object held in memory (a long-lived worker, a page that
    # loaded it earlier) may carry a cached link that was switched off since (REC-14).
    pk = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    fu = FirmUser.objects.filter(user_id=pk).first() if pk else None
    if actor is None or fu is None or not fu.is_active or fu.firm_id != c.firm_id:
        raise PermissionDenied("not_firm_user", _("只有受托评估机构的用户可以办理"), rule="REC-14")
    return actor


# --- reads shared with the pages ------------------------------------------------------------


def report_checks(report: Report) -> list[str]:
    """APR-11 grounds the engine can check itself: the signing firm and the signers' licences."""
    c = report.commission
    problems = []
    if report.signing_firm_licence != c.firm.licence_no or report.signing_firm_name != c.firm.name:
        problems.append(
            f"出具机构（{report.signing_firm_name} {report.signing_firm_licence}）与受托机构"
            f"（{c.firm.name} {c.firm.licence_no}）不一致"
        )
    known = {a.licence_no: a for a in Appraiser.objects.filter(firm=c.firm, is_active=True)}
    for lic in report.signer_licences:
        if lic not in known:
            problems.append(f"签字评估师执业证书 {lic} 不是受托机构在册评估师")
    return problems


def objection_window(c: Commission, party: Party) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(served_at, window closes) for one party: 5 days from receipt (APR-12, REC-01)."""
    served = recipient_served_at(
        subject=c.subject, recipient_ref=f"party:{party.pk}", document_kind=REPORT_KIND
    )
    if served is None:
        return None, None
    return served, calendar.within_days(served, OBJECTION_DAYS, court=c.court_id)


def objection_windows(c: Commission) -> list[dict[str, Any]]:
    out = []
    for party in c.request.case.parties.all().order_by("pk"):
        served, closes = objection_window(c, party)
        out.append({"party": party, "served_at": served, "closes_at": closes})
    return out


def result_fix_blockers(c: Commission, *, now: dt.datetime | None = None) -> list[str]:
    now = now or clock.now()
    if c.state != Commission.State.SERVED:
        return [f"状态为「{c.get_state_display()}」"]
    out = []
    for w in objection_windows(c):
        if w["served_at"] is None:
            out.append(f"{w['party'].name} 尚未送达")
        elif now <= w["closes_at"]:
            out.append(f"{w['party'].name} 的异议期至 {local_date(w['closes_at']):%Y-%m-%d}")
    open_objections = [o for o in c.objections.all() if o.is_open]
    if open_objections:
        out.append(f"有 {len(open_objections)} 件异议未办结")
    return out
