"""The offer of a commission to the next-ranked firm (APR-04/09; a firm suspended since the draw
is skipped, APR-01), the firm's answer (APR-05) and the cancellation of a commission (withdrawal,
failure).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from appraisers.models import AppraisalRequest, Commission, Firm, RankedFirm
from appraisers.services._common import audit, court_contacts, firm_users, notify_many
from appraisers.services.commission import _lock, _report_rule, _transition, require_firm_user
from appraisers.services.selection import link, round_exhausted
from core import calendar, clock
from core.deadlines import deadline_cancel, deadline_close, deadline_open, deadline_title
from core.errors import DomainError
from core.notifications import text
from core.rulesettings import get_setting
from core.types import Actor

# --- the offer ------------------------------------------------------------------------------


def _materials(req: AppraisalRequest, due: dt.datetime) -> str:
    """APR-04: the item, its features, quantity, purpose and deadline, handed to the firm."""
    from cases.features import feature_rows
    from core.regions import full_name

    a = req.asset
    # The features as labelled values, never a raw JSON dict (issue 13: readable everywhere).
    features = "；".join(
        f"{label}：{value}" for label, value in feature_rows(a.kind, a.features or {})
    )
    region = full_name(a.division_code) if a.division_code else "—"
    return "\n".join(
        [
            f"案号：{req.case.number}",
            f"标的物：{a.name}（{a.get_kind_display()}）",
            f"坐落/存放地：{a.address or '—'}（{region}）",
            f"特征：{features or '—'}",
            "数量：1",
            f"描述：{a.description or '—'}",
            f"评估目的：{req.purpose}",
            f"出具报告期限：{due.astimezone(calendar.CST):%Y-%m-%d}",
        ]
    )


def _offer(
    req: AppraisalRequest,
    *,
    firm: Firm,
    ranked: RankedFirm | None,
    actor: Actor,
    kind: str = Commission.Kind.ORIGINAL,
    reissue_of: Commission | None = None,
) -> Commission:
    now = clock.now()
    reissue = kind == Commission.Kind.REISSUE
    days = int(
        get_setting(
            "appraiser_reissue_days" if reissue else "appraisal_report_days", court=req.court_id
        )
    )
    due = calendar.within_days(now, days, court=req.court_id)
    c = Commission.objects.create(
        request=req,
        ranked=ranked,
        firm=firm,
        court_id=req.court_id,
        kind=kind,
        reissue_of=reissue_of,
        state=Commission.State.ACCEPTED if reissue else Commission.State.OFFERED,
        materials=_materials(req, due),
        offered_at=now,
        accepted_at=now if reissue else None,
        report_due_at=due,
    )
    from appraisers.documents import COMMISSION_LETTER
    from core.documents import document_request

    # The sealed 评估委托书 (APR-04), issued by the worker (issue 16).
    document_request(doc_type=COMMISSION_LETTER.code, subject=c.subject)
    rule = _report_rule(c)
    deadline_open(
        rule_id=rule,
        title=deadline_title(
            gettext_noop("重新出具评估报告（%(firm)s）")
            if reissue
            else gettext_noop("出具评估报告（%(firm)s）"),
            firm=firm.name,
        ),
        subject=c.subject,
        start_event="commission.offered",
        started_at=now,
        period=days,
        court=req.court_id,
        owner=req.case.judge,
        owner_role="judge",
        party_ref=firm.ref,
        actor=actor,
    )
    accept_days = get_setting("appraiser_accept_days", court=req.court_id)
    if accept_days and not reissue:
        deadline_open(
            rule_id="APR-05",
            title=deadline_title(gettext_noop("接受委托（%(firm)s）"), firm=firm.name),
            subject=c.subject,
            start_event="commission.offered",
            started_at=now,
            period=int(accept_days),
            court=req.court_id,
            owner=req.case.judge,
            owner_role="judge",
            party_ref=firm.ref,
            actor=actor,
        )
    audit(
        req,
        action="commission.offered",
        actor=actor,
        subject=c.subject,
        after={
            "firm": firm.pk,
            "firm_name": firm.name,
            "kind": kind,
            "rank": ranked.rank if ranked else None,
            "round": ranked.round if ranked else None,
            "report_due_at": due,
        },
        rules=[rule, "APR-04"] + (["APR-05"] if not reissue else []),
    )
    notify_many(
        firm_users(firm),
        topic="appraisal.commission",
        subject=text(
            gettext_lazy("重新出具评估报告：%(asset)s")
            if reissue
            else gettext_lazy("委托评估：%(asset)s"),
            asset=req.asset.name,
        ),
        body=text(
            gettext_lazy("%(case)s：法院委托贵机构评估「%(asset)s」，请于 %(day)s 前出具报告。")
            if reissue
            else gettext_lazy(
                "%(case)s：法院委托贵机构评估「%(asset)s」，请于 %(day)s 前出具报告。"
                "请尽快决定是否接受委托。"
            ),
            case=req.case.number,
            asset=req.asset.name,
            day=due.astimezone(calendar.CST).date(),
        ),
        key=f"commission:{c.pk}:offered",
        link=link("firm_commission", c.pk),
        court=req.court,
    )
    return c


def offer_next(*, request: AppraisalRequest, actor: Actor) -> Commission | None:
    """Commission the next-ranked firm of the round (APR-04/05/09), or handle exhaustion (APR-10)."""
    req = request
    used = set(
        Commission.objects.filter(request=req, ranked__round=req.round).values_list(
            "ranked_id", flat=True
        )
    )
    for ranked in (
        RankedFirm.objects.filter(request=req, round=req.round)
        .exclude(pk__in=used)
        .order_by("rank")
    ):
        firm = ranked.firm
        if firm.status != firm.Status.ACTIVE or firm.is_barred(clock.now()):
            # Suspended or removed since the draw: skipped, and the skip is on the record.
            now = clock.now()
            c = Commission.objects.create(
                request=req,
                ranked=ranked,
                firm=firm,
                court_id=req.court_id,
                state=Commission.State.CANCELLED,
                offered_at=now,
                ended_reason=f"机构状态为{firm.get_status_display()}，跳过",
            )
            audit(
                req,
                action="commission.skipped",
                actor=actor,
                subject=c.subject,
                after={"firm": firm.pk, "status": firm.status},
                rules=["APR-01"],
            )
            continue
        return _offer(req, firm=firm, ranked=ranked, actor=actor)
    round_exhausted(req, actor=actor, reason="本轮选定的评估机构均未能完成评估")
    return None


def _close_open_deadlines(c: Commission, *, actor: Actor, reason: str, cancel: bool = True) -> None:
    fn = deadline_cancel if cancel else deadline_close
    fn(subject=c.subject, actor=actor, reason=reason)


def _end_commission(c: Commission, *, actor: Actor, reason: str) -> None:
    """Cancel an active commission (withdrawal, failure); its open deadlines are cancelled."""
    before = _transition(c, "cancel")
    c.ended_reason = reason[:300]
    c.save()
    _close_open_deadlines(c, actor=actor, reason=reason)
    audit(
        c.request,
        action="commission.cancelled",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state},
        reason=reason,
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.commission",
        subject=gettext_lazy("委托已撤销"),
        body=text(
            gettext_lazy("%(case)s：对「%(asset)s」的委托已撤销：%(reason)s"),
            case=c.request.case.number,
            asset=c.request.asset.name,
            reason=reason,
        ),
        key=f"commission:{c.pk}:cancelled",
        link=link("firm_commission", c.pk),
        court=c.court,
    )


# --- accept / decline (APR-05) --------------------------------------------------------------


@transaction.atomic
def commission_accept(*, commission: Commission, actor: Actor) -> Commission:
    c = _lock(commission)
    require_firm_user(c, actor)
    before = _transition(c, "accept", rule="APR-05")
    c.accepted_at = clock.now()
    c.save()
    deadline_close(subject=c.subject, rule_id="APR-05", actor=actor)
    audit(
        c.request,
        action="commission.accepted",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state},
        rules=["APR-05"],
    )
    notify_many(
        court_contacts(c.request),
        topic="appraisal.accepted",
        subject=text(gettext_lazy("评估机构已接受委托：%(firm)s"), firm=c.firm.name),
        body=text(
            gettext_lazy("%(case)s：「%(firm)s」已接受委托。"),
            case=c.request.case.number,
            firm=c.firm.name,
        ),
        key=f"commission:{c.pk}:accepted",
        link=link("court_request", c.request_id),
        court=c.court,
        legal=False,
    )
    return c


@transaction.atomic
def commission_decline(*, commission: Commission, reason: str, actor: Actor) -> Commission:
    """A declining firm passes the commission to the next-ranked firm (APR-05)."""
    if not (reason or "").strip():
        raise DomainError("reason_required", _("拒绝委托须说明理由"), rule="APR-05")
    c = _lock(commission)
    require_firm_user(c, actor)
    before = _transition(c, "decline", rule="APR-05")
    c.declined_at = clock.now()
    c.decline_reason = reason.strip()[:300]
    c.save()
    _close_open_deadlines(c, actor=actor, reason="机构拒绝委托")
    audit(
        c.request,
        action="commission.declined",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state},
        reason=reason,
        rules=["APR-05"],
    )
    req = AppraisalRequest.objects.select_for_update().get(pk=c.request_id)
    offer_next(request=req, actor=actor)
    return c
