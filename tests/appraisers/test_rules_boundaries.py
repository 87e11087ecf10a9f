"""Firm appraisal rules with a number, at their boundary (one value each side)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from core import calendar, clock
from tests.appraisers.test_commission import _in_progress, offered  # noqa: F401 (fixture)
from tests.appraisers.test_review_objections import delivered, served  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_apr07_report_due_on_day_30_is_not_late_a_second_after_it_is(offered):  # noqa: F811
    """APR-07: the report is due within 30 days of the commission; the sweep marks it late only
    once that moment has passed."""
    c = _in_progress(offered)
    due = c.report_due_at
    assert due == calendar.within_days(c.offered_at, 30, court=offered["court"].pk)
    clock.set_time(due)
    assert services.appraisers_sweep()["late"] == 0
    clock.set_time(due + dt.timedelta(seconds=1))
    assert services.appraisers_sweep()["late"] == 1


@pytest.mark.parametrize(("count", "ok"), [(2, False), (3, True), (4, False)])
def test_apr02_parties_agree_on_exactly_three_firms(setup, count, ok):
    """APR-02: the parties agree on 3 firms in order; 2 or 4 are refused, 3 are taken."""
    from appraisers.models import RankedFirm
    from core.errors import DomainError
    from tests.appraisers.conftest import start_request

    req = start_request(setup)
    ids = [f.pk for f in setup["firms"][:count]]

    def submit(party):
        return services.agreement_submit(
            request=req, party=party, choice="firms", firm_ids=ids, actor=party.user
        )

    if ok:
        submit(setup["creditor"])
        submit(setup["debtor"])
        req.refresh_from_db()
        assert req.status == "commissioned"
        assert list(RankedFirm.objects.filter(request=req).values_list("firm_id", flat=True)) == ids
    else:
        with pytest.raises(DomainError) as exc:
            submit(setup["creditor"])
        assert (exc.value.code, exc.value.rule) == ("three_firms_required", "APR-02")


# ---- issue 14: the remaining firm appraisal rules at their boundary ----------------------------
# Dates are China Standard Time; the clock starts frozen on Monday 2026-11-02 09:00.


def _cst_day(when: dt.datetime) -> dt.date:
    return when.astimezone(calendar.CST).date()


@pytest.mark.rule("APR-09", entry="service")
def test_apr09_not_late_at_the_report_deadline_late_a_second_after_materials_back_in_3_days(
    offered,  # noqa: F811
):
    """APR-09: at the report deadline the firm is not late (refused ``not_late``); one second
    later it is replaced with no fee, and the materials are due within 3 days: late on Thursday
    2026-12-03 → day 3 is Sunday 12-06 → due at the end of Monday 12-07 (REC-01), not day 2 or 4.
    """
    from appraisers.models import Commission
    from core.errors import DomainError
    from tests.appraisers.conftest import current_commission

    c = _in_progress(offered)
    assert c.report_due_at is not None
    assert _cst_day(c.report_due_at) == dt.date(2026, 12, 2)  # 30 days after 11-02
    clock.set_time(c.report_due_at)
    with pytest.raises(DomainError) as exc:
        services.commission_mark_late(commission=c)
    assert (exc.value.code, exc.value.rule) == ("not_late", "APR-09")
    c.refresh_from_db()
    assert c.state != Commission.State.LATE and not c.fee_forfeited
    clock.set_time(c.report_due_at + dt.timedelta(seconds=1))
    services.commission_mark_late(commission=c)
    c.refresh_from_db()
    assert c.state == Commission.State.LATE and c.fee_forfeited
    assert c.materials_return_due_at == calendar.end_of_day(dt.date(2026, 12, 7))
    nxt = current_commission(offered["req"])
    assert nxt.firm_id == offered["draw"].result[1]
    fees = services.appraisal_fee_settle(
        procedure_ref=offered["req"].procedure_ref, outcome="withdrawn"
    )
    assert [f.amount_fen for f in fees if f.commission_id == c.pk] == [0]  # no fee (PRC-16)


@pytest.mark.rule("APR-11", entry="service")
def test_apr11_explanation_due_in_3_days_flagged_only_after_the_end_of_day_3(setup):
    """APR-11: court review asks for a written explanation or correction within 3 days: asked on
    Monday 11-02 → due at the end of Thursday 11-05; not overdue at that instant, overdue (yellow)
    one second later."""
    from core.deadlines import deadlines_sweep
    from core.models import Deadline
    from tests.appraisers.conftest import (
        current_commission,
        inspected,
        pdf_upload,
        report_data,
        run_public_draw,
        start_request,
    )

    req = start_request(setup)
    run_public_draw(setup, req)
    c = current_commission(req)
    user = inspected(c)
    services.report_submit(commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm))
    services.report_review(
        commission=c, grounds=["facts"], note="建筑面积与登记不符", actor=setup["judge"]
    )
    review = c.reviews.get()
    assert _cst_day(review.requested_at) == dt.date(2026, 11, 2)
    assert review.due_at == calendar.end_of_day(dt.date(2026, 11, 5))
    d = Deadline.objects.get(subject=c.subject, rule_id="APR-11", status="open")
    assert d.due_at == review.due_at
    clock.set_time(review.due_at)
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "green"
    clock.set_time(review.due_at + dt.timedelta(seconds=1))
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "yellow"


@pytest.mark.rule("APR-13", entry="service")
@pytest.mark.parametrize(("offset", "answered"), [(0, True), (1, False)])
def test_apr13_firm_answers_within_5_days_of_forwarding_a_second_late_goes_to_expert_review(
    served,  # noqa: F811
    offset,
    answered,
):
    """APR-13: forwarded on Monday 11-02 → the firm answers by the end of Saturday 11-07, moved
    off the weekend to the end of Monday 11-09. An answer at that instant is taken (no expert
    review); one a second later is refused ``answer_late`` and expert review opens."""
    from appraisers.models import Objection
    from appraisers.services.objections import answer_due_at, expert_review_allowed
    from core.errors import DomainError

    s = served
    o = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["result"],
        text="评估结果过高",
        actor=s["debtor"].user,
    )
    services.objection_forward(objection=o, actor=s["judge"])
    o.refresh_from_db()
    assert o.forwarded_at is not None and _cst_day(o.forwarded_at) == dt.date(2026, 11, 2)
    due = answer_due_at(o)
    assert due == calendar.end_of_day(dt.date(2026, 11, 9))
    clock.set_time(due + dt.timedelta(seconds=offset))
    if answered:
        assert not expert_review_allowed(o)
        services.objection_answer(objection=o, text="已复核，维持结论", actor=s["user"])
        o.refresh_from_db()
        assert o.status == Objection.Status.ANSWERED
    else:
        with pytest.raises(DomainError) as exc:
            services.objection_answer(objection=o, text="迟到的答复", actor=s["user"])
        assert (exc.value.code, exc.value.rule) == ("answer_late", "APR-13")
        assert expert_review_allowed(o)


@pytest.mark.rule("APR-13", entry="service")
def test_apr13_objection_forwarded_within_3_days_and_replaced_firm_returns_materials_in_3(
    served,  # noqa: F811
):
    """APR-13: the court forwards within 3 days of filing (filed Monday 11-02 → end of Thursday
    11-05, flagged only after it); an upheld ground (3)/(4) replaces the firm, materials due in 3
    days (decided Friday 11-06 → day 3 is Monday 11-09)."""
    from appraisers.models import Commission
    from core.deadlines import deadlines_sweep
    from core.models import Deadline

    s = served
    o = services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["unqualified"],
        text="签字评估师无执业资格",
        actor=s["debtor"].user,
    )
    assert _cst_day(o.filed_at) == dt.date(2026, 11, 2)
    clock.set_time(calendar.end_of_day(dt.date(2026, 11, 6)) - dt.timedelta(hours=10))
    services.objection_decide_procedural(
        objection=o, upheld=True, reason="经查属实", actor=s["judge"]
    )
    c = Commission.objects.get(pk=s["c"].pk)
    assert c.state == Commission.State.REPLACED and c.fee_forfeited
    ret = Deadline.objects.get(subject=c.subject, rule_id="APR-13", status="open")
    assert ret.due_at == c.materials_return_due_at == calendar.end_of_day(dt.date(2026, 11, 9))
    clock.set_time(ret.due_at)
    deadlines_sweep()
    ret.refresh_from_db()
    assert ret.flag == "green"
    clock.set_time(ret.due_at + dt.timedelta(seconds=1))
    deadlines_sweep()
    ret.refresh_from_db()
    assert ret.flag == "yellow"


@pytest.mark.rule("PRC-12", entry="service")
@pytest.mark.parametrize(("offset", "accepted"), [(0, True), (1, False)])
def test_prc12_reissue_by_the_original_firm_at_day_15_is_taken_a_second_later_refused(
    offered,  # noqa: F811
    offset,
    accepted,
):
    """PRC-12: the original firm reissues within 15 days of the request: a report at the end of
    day 15 is taken, one a second later is refused as late."""
    from appraisers.models import Commission
    from core.errors import DomainError
    from tests.appraisers.conftest import pdf_upload, report_data
    from tests.appraisers.test_commission import _fix

    first = _fix(offered)
    r = services.appraisal_reissue_request(
        procedure_ref=offered["req"].procedure_ref, reason="有效期届满"
    )
    assert r.firm_id == first.firm_id and r.kind == Commission.Kind.REISSUE
    asked = _cst_day(clock.now())
    assert r.report_due_at is not None
    assert _cst_day(r.report_due_at) == calendar.next_working_day(asked + dt.timedelta(days=15))
    assert _cst_day(r.report_due_at) < asked + dt.timedelta(days=18)  # not 30 days
    clock.set_time(r.report_due_at + dt.timedelta(seconds=offset))
    submit = lambda: services.report_submit(  # noqa: E731
        commission=r, upload=pdf_upload(), actor=offered["user"], **report_data(r.firm)
    )
    if accepted:
        submit()
        r.refresh_from_db()
        assert r.state == Commission.State.REPORT_DELIVERED
    else:
        with pytest.raises(DomainError) as exc:
            submit()
        assert exc.value.code == "report_late"


@pytest.mark.rule("PRC-16", entry="service")
@pytest.mark.parametrize(
    ("delta", "basis", "basis_delta"),
    [(-1, "sale_price", -1), (0, "appraisal_value", 0), (1, "appraisal_value", 0)],
)
def test_prc16_fee_basis_at_the_appraisal_value_one_fen_each_side(setup, delta, basis, basis_delta):
    """PRC-16: sold below the appraisal value → the fee is on the sale price; at or above it → on
    the appraisal value: one fen below pays on the lower price, one fen above is capped."""
    from appraisers.services.fees import fee_on_value
    from tests.appraisers.test_fees import VALUE, _fixed

    req, _c, _user = _fixed(setup)
    [fee] = services.appraisal_fee_settle(
        procedure_ref=req.procedure_ref, outcome="sold", sale_price_fen=VALUE + delta
    )
    assert fee.basis == basis
    assert fee.basis_fen == VALUE + basis_delta
    assert fee.amount_fen == fee_on_value(VALUE + basis_delta, court=setup["court"].pk)


@pytest.mark.rule("PRC-16", entry="service")
def test_prc16_reissue_is_paid_exactly_30_percent_of_the_original(offered):  # noqa: F811
    """PRC-16 / PRC-12: the reissue fee is 30% of the original fee, not 29% or 31%."""
    from decimal import Decimal

    from appraisers.models import AppraisalFee, Commission
    from tests.appraisers.conftest import pdf_upload, report_data
    from tests.appraisers.test_commission import _fix

    _fix(offered)
    r = services.appraisal_reissue_request(
        procedure_ref=offered["req"].procedure_ref, reason="有效期届满"
    )
    services.report_submit(
        commission=r, upload=pdf_upload(), actor=offered["user"], **report_data(r.firm)
    )
    services.report_review(commission=r, actor=offered["judge"])
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    fees = services.appraisal_fee_settle(
        procedure_ref=offered["req"].procedure_ref, outcome="sold", sale_price_fen=200_000_000
    )
    by_kind = {f.commission.kind: f for f in fees}
    original = by_kind[Commission.Kind.ORIGINAL].amount_fen
    reissue = by_kind[Commission.Kind.REISSUE]
    assert reissue.basis == AppraisalFee.Basis.REISSUE and reissue.basis_fen == original
    exact = Decimal(original) * Decimal("0.30")
    assert abs(Decimal(reissue.amount_fen) - exact) <= 1
    assert (
        Decimal(original) * Decimal("0.29")
        < reissue.amount_fen
        < Decimal(original) * Decimal("0.31")
    )


@pytest.mark.rule("APR-03", entry="service")
@pytest.mark.parametrize(
    ("city_firms", "level", "ranked"), [(2, "province", 3), (3, "city", 3), (4, "city", 3)]
)
def test_apr03_three_firms_ranked_from_the_city_sub_roster_when_it_has_three(
    court, judge, frozen_now, city_firms, level, ranked
):
    """APR-03: the draw ranks exactly 3 firms; the city sub-roster is used when it has 3 eligible
    firms (3 or 4 → city), with 2 it falls back to the province (both-level firms count there)."""
    from appraisers.models import LotDraw
    from tests.appraisers.conftest import make_case, make_firm, run_public_draw, start_request

    case, creditor, debtor, asset = make_case(court, judge)
    city = [make_firm(None, levels=("city", "province")) for _ in range(city_firms)]
    province_only = [make_firm(None, city="360200", levels=("province",)) for _ in range(2)]
    s = {
        "court": court,
        "judge": judge,
        "case": case,
        "creditor": creditor,
        "debtor": debtor,
        "asset": asset,
        "firms": city + province_only,
    }
    req = start_request(s)
    draw = run_public_draw(s, req)
    assert draw.status == LotDraw.Status.DONE
    assert draw.roster_level == level and draw.result is not None
    assert len(draw.result) == ranked
    pool = {f.pk for f in city} | ({f.pk for f in province_only} if level == "province" else set())
    assert set(draw.result) <= pool and len(set(draw.result)) == ranked


@pytest.mark.rule("REC-07", entry="service")
@pytest.mark.parametrize(("years", "ok"), [(9, False), (10, True), (None, True)])
def test_rec07_pricing_record_kept_at_least_10_years_or_permanently(court, years, ok):
    """REC-07: ``pricing_retention_years`` is permanent (empty) by default, and a court may set
    no fewer than 10 years: 9 is refused citing REC-07, 10 and permanent are taken."""
    from core.errors import DomainError
    from core.rulesettings import get_setting, setting_set

    assert get_setting("pricing_retention_years", court=court) is None  # permanent
    if ok:
        setting_set(key="pricing_retention_years", value=years, court=court, reason="本院规定")
        assert get_setting("pricing_retention_years", court=court) == years
        # Back to permanent over an existing override (the update path stores JSON null too).
        setting_set(key="pricing_retention_years", value=None, court=court, reason="永久保存")
        assert get_setting("pricing_retention_years", court=court) is None
    else:
        with pytest.raises(DomainError) as exc:
            setting_set(key="pricing_retention_years", value=years, court=court, reason="缩短")
        assert (exc.value.code, exc.value.rule) == ("setting_out_of_range", "REC-07")
        assert get_setting("pricing_retention_years", court=court) is None


@pytest.mark.rule("REC-07", entry="service")
def test_rec07_draw_record_verifies_and_one_changed_field_breaks_it(setup):
    """REC-07: the lot-draw record is tamper-evident: the stored record verifies as drawn, and
    changing the result by one place (swapping two ranks) is detected."""
    from appraisers.models import LotDraw
    from tests.appraisers.conftest import run_public_draw, start_request

    req = start_request(setup)
    draw = run_public_draw(setup, req)
    from appraisers.services.verification import draw_verify

    assert draw_verify(draw)["ok"] is True and draw.result is not None
    swapped = [draw.result[1], draw.result[0], *draw.result[2:]]
    LotDraw.objects.filter(pk=draw.pk).update(result=swapped)
    draw.refresh_from_db()
    assert draw_verify(draw)["ok"] is False


@pytest.mark.rule("REC-14", entry="service")
def test_rec14_firm_user_acts_while_active_is_refused_once_deactivated(offered):  # noqa: F811
    """REC-14 (least privilege): only an active user of the commissioned firm acts for it: the
    same user is refused once switched off, and taken again once switched on."""
    from appraisers.models import Commission, FirmUser
    from core.errors import PermissionDenied

    c, user = offered["c"], offered["user"]
    fu = FirmUser.objects.get(user=user)
    services.firm_user_set_active(firm_user=fu, is_active=False, reason="离职", actor=None)
    with pytest.raises(PermissionDenied) as exc:
        services.commission_accept(commission=c, actor=user)
    assert (exc.value.code, exc.value.rule) == ("not_firm_user", "REC-14")
    c.refresh_from_db()
    assert c.state == Commission.State.OFFERED
    services.firm_user_set_active(firm_user=fu, is_active=True, reason="复职", actor=None)
    services.commission_accept(commission=c, actor=user)
    c.refresh_from_db()
    assert c.state == Commission.State.ACCEPTED


@pytest.mark.rule("PRC-10", entry="service")
def test_prc10_publication_is_deemed_served_at_the_end_of_day_15(served):  # noqa: F811
    """PRC-10: an unreachable party served by publication on Monday 11-02 is deemed served at
    the end of day 15, Tuesday 11-17 (not day 14 or 16); its objection window runs from then."""
    s = served
    c = s["c"]
    assert c.delivered_at is not None and _cst_day(c.delivered_at) == dt.date(2026, 11, 2)
    rec = services.report_service_publish(
        commission=c, party=s["debtor"], reason="下落不明", actor=s["judge"]
    )
    assert rec.deemed_at == calendar.end_of_day(dt.date(2026, 11, 17))


@pytest.mark.rule("PRC-10", entry="service")
def test_prc10_service_deadline_is_not_overdue_at_the_end_of_day_3(delivered):  # noqa: F811
    """PRC-10: received Monday 11-02 → served by the end of Thursday 11-05: not overdue at that
    instant, overdue (yellow) one second later."""
    from core.deadlines import deadlines_sweep
    from core.models import Deadline

    c = delivered["c"]
    d = Deadline.objects.get(subject=c.subject, rule_id="PRC-10", status="open")
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 5))
    clock.set_time(d.due_at)
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "green"
    clock.set_time(d.due_at + dt.timedelta(seconds=1))
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "yellow"


# ---- issue 14 (bounds): APR-01 five-year bar and APR-08 five-day lead, one value each side ----


@pytest.mark.rule("APR-01", entry="service")
def test_apr01_removed_firm_reinstated_a_second_before_5_years_refused_at_5_years_accepted(
    setup,
):
    """APR-01: a removed firm is excluded for 5 years. A second before the fifth anniversary of
    the removal its reinstatement is refused (``firm_barred``, nothing changes); at the
    anniversary it is accepted and the firm is back on the roster."""
    from appraisers.models import Firm
    from core.errors import DomainError

    firm = setup["firms"][0]
    services.firm_set_status(firm=firm, status="removed", reason="出具虚假报告", actor=None)
    firm.refresh_from_db()
    assert firm.removed_at == clock.now()
    until = firm.barred_until
    assert until == calendar.months_after(firm.removed_at, 60)
    assert _cst_day(until) == dt.date(2031, 11, 2)  # removed Monday 2026-11-02 09:00

    clock.set_time(until - dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        services.firm_set_status(firm=firm, status="active", reason="申请恢复", actor=None)
    assert (exc.value.code, exc.value.rule) == ("firm_barred", "APR-01")
    firm.refresh_from_db()
    assert firm.status == Firm.Status.REMOVED

    clock.set_time(until)
    services.firm_set_status(firm=firm, status="active", reason="禁入期满", actor=None)
    firm.refresh_from_db()
    assert firm.status == Firm.Status.ACTIVE


@pytest.mark.rule("APR-08", entry="service")
def test_apr08_extension_requested_5_days_before_the_deadline_accepted_4_days_refused(
    offered,  # noqa: F811
):
    """APR-08: an extension is requested in writing at least 5 days before the report deadline.
    The report is due at the end of Wednesday 2026-12-02 (30 days after 11-02); a request on
    11-27 (12-02 is day 5 after it, REC-01) is taken even in its last second, one at the first
    second of 11-28 (4 days before) is refused ``extension_too_late`` and writes nothing."""
    from appraisers.models import ExtensionRequest
    from core.errors import DomainError

    c = _in_progress(offered)
    assert c.report_due_at is not None
    assert _cst_day(c.report_due_at) == dt.date(2026, 12, 2)
    last_second_day_5 = calendar.end_of_day(dt.date(2026, 11, 27))
    first_second_day_4 = calendar.start_of_day(dt.date(2026, 11, 28))

    clock.set_time(first_second_day_4)
    with pytest.raises(DomainError) as exc:
        services.extension_request(
            commission=c, days=10, reason="需调取档案", actor=offered["user"]
        )
    assert (exc.value.code, exc.value.rule) == ("extension_too_late", "APR-08")
    assert not ExtensionRequest.objects.filter(commission=c).exists()

    clock.set_time(last_second_day_5)
    ext = services.extension_request(
        commission=c, days=10, reason="需调取档案", actor=offered["user"]
    )
    assert ext.status == ExtensionRequest.Status.PENDING
    assert ext.due_at_when_requested == c.report_due_at
