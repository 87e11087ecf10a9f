"""The lot draw as a service (APR-01, APR-03, REC-07, REC-09): the frozen list and its
exclusions, commitments and reveals, the public value, verification against the audit trail."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from appraisers import draw_algorithm as algo
from appraisers import services
from appraisers.models import AppraisalRequest, Commission, LotDraw
from appraisers.services.verification import draw_verify
from cases.models import Identity
from core import clock
from core.errors import DomainError
from core.models import AuditEntry, OutboxMessage, ServiceRecord
from core.rulesettings import setting_set
from tests.appraisers.conftest import (
    firm_user_for,
    make_firm,
    run_public_draw,
    secret_pair,
    start_request,
)

pytestmark = pytest.mark.django_db


def _to_draw(s):
    req = start_request(s)
    services.agreement_skip(request=req, reason="被执行人无法联系", actor=s["judge"])
    return req


def _schedule_commit(s, req, **kw):
    now = clock.now()
    return services.draw_schedule(
        request=req,
        scheduled_at=now + dt.timedelta(days=2),
        seed_mode="commit_reveal",
        commit_deadline=now + dt.timedelta(days=1),
        actor=s["judge"],
        **kw,
    )


def _exclusions(draw):
    return {(x.firm_id, x.reason_code) for x in draw.exclusions.all()}


def test_frozen_list_publishes_every_exclusion_with_reason(setup):
    """APR-01/03: suspended, removed (5-year bar) and conflicted firms are left out, with reasons."""
    s = setup
    f_susp, f_rem, f_name, f_user, f_appr = s["firms"]
    services.firm_set_status(firm=f_susp, status="suspended", reason="年检未通过", actor=None)
    services.firm_set_status(firm=f_rem, status="removed", reason="无正当理由拒绝委托", actor=None)
    f_name.name = s["debtor"].name  # the firm is itself the debtor
    f_name.save()
    services.firm_user_add(firm=f_user, user=_user_party(s), actor=None)
    ident = Identity.objects.create(
        kind="resident_id", number="360102199001011234", name="申请人", status="verified"
    )
    s["creditor"].identity = ident
    s["creditor"].save()
    services.appraiser_add(
        firm=f_appr,
        name="利害评估师",
        licence_no="APR-CONFLICT",
        id_number="360102199001011234",
        actor=None,
    )
    extra = [make_firm(None) for _ in range(3)]
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    ex = _exclusions(draw)
    assert (f_susp.pk, "suspended") in ex
    assert (f_rem.pk, "removed") in ex
    assert (
        (f_name.pk, "conflict") in ex
        and (f_user.pk, "conflict") in ex
        and (f_appr.pk, "conflict") in ex
    )
    listed = {e["id"] for e in draw.frozen_list}
    assert listed == {f.pk for f in extra}
    reasons = {x.firm_id: x.reason for x in draw.exclusions.all()}
    assert "五年内" not in reasons[f_susp.pk] and "除名" in reasons[f_rem.pk]
    # The record of the freeze is in the case's audit stream (REC-07).
    entry = AuditEntry.objects.get(stream=f"case:{s['case'].pk}", action="draw.frozen")
    assert entry.after is not None
    assert entry.after["list_hash"] == draw.list_hash and len(entry.after["exclusions"]) == 5


def _user_party(s):
    """A firm user who is also the creditor of the case."""
    from core.models import Role

    u = s["creditor"].user
    u.role = Role.APPRAISER
    u.save()
    return u


def test_removed_firm_is_never_drawn_within_five_years_even_if_reinstated_later(setup):
    """APR-01: removal bars a firm for 5 years; reinstatement is refused before then."""
    s = setup
    firm = s["firms"][0]
    services.firm_set_status(firm=firm, status="removed", reason="出具虚假报告", actor=None)
    clock.advance(dt.timedelta(days=365 * 4))
    with pytest.raises(DomainError) as exc:
        services.firm_set_status(firm=firm, status="active", reason="申请恢复", actor=None)
    assert exc.value.rule == "APR-01"
    clock.advance(dt.timedelta(days=366 + 2))
    services.firm_set_status(firm=firm, status="active", reason="禁入期满", actor=None)
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    assert firm.pk in {e["id"] for e in draw.frozen_list}


def test_workload_cap_is_off_by_default_and_excludes_only_when_turned_on(setup):
    s = setup
    busy = s["firms"][0]
    req1 = start_request(s)
    run_public_draw(s, req1)
    on_hand = Commission.objects.filter(firm=busy, state="offered").count()
    req2 = _to_draw(s)
    draw = _schedule_commit(s, req2)
    assert all(code != "workload" for _, code in _exclusions(draw))
    services.draw_cancel(draw=draw, reason="测试", actor=s["judge"])
    setting_set(
        key="appraisal_workload_cap_enabled",
        value=True,
        court=s["court"],
        reason="试行",
        actor=None,
    )
    setting_set(key="appraisal_workload_cap", value=1, court=s["court"], reason="试行", actor=None)
    draw = _schedule_commit(s, req2)
    capped = {fid for fid, code in _exclusions(draw) if code == "workload"}
    busy_firms = set(Commission.objects.filter(state="offered").values_list("firm_id", flat=True))
    assert capped == busy_firms and (on_hand == 0 or busy.pk in capped)


def test_city_sub_roster_falls_back_to_province_when_too_small(court, judge, frozen_now):
    from tests.appraisers.conftest import make_case

    case, creditor, debtor, asset = make_case(court, judge)
    s = {
        "court": court,
        "judge": judge,
        "case": case,
        "creditor": creditor,
        "debtor": debtor,
        "asset": asset,
    }
    city_only = [make_firm(None) for _ in range(2)]
    province = [make_firm(None, levels=("province",)) for _ in range(3)]
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    assert draw.roster_level == "province" and draw.roster_division_code == "360000"
    assert {e["id"] for e in draw.frozen_list} == {f.pk for f in province}
    assert "不足3家" in draw.roster_basis
    assert not {f.pk for f in city_only} & {e["id"] for e in draw.frozen_list}


def test_both_parties_may_ask_for_another_sub_roster(setup):
    """APR-03: "or one both parties request"."""
    s = setup
    other = [make_firm(None, city="360400", levels=("city",)) for _ in range(3)]
    req = start_request(s)
    for party in (s["creditor"], s["debtor"]):
        services.agreement_submit(
            request=req,
            party=party,
            choice="roster",
            roster_level="city",
            roster_division_code="360400",
            actor=party.user,
        )
    req.refresh_from_db()
    assert req.status == AppraisalRequest.Status.DRAW
    draw = _schedule_commit(s, req)
    assert draw.roster_division_code == "360400"
    assert {e["id"] for e in draw.frozen_list} == {f.pk for f in other}


def test_parties_are_notified_of_the_draw_time_with_service_records(setup):
    """APR-03: notify_parties_before_draw (on by default)."""
    s = setup
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    recs = ServiceRecord.objects.filter(subject=draw.subject, document_kind="draw_notice")
    assert {r.recipient_ref for r in recs} == {
        f"party:{s['creditor'].pk}",
        f"party:{s['debtor'].pk}",
    }
    for party in (s["creditor"], s["debtor"]):
        msg = OutboxMessage.objects.filter(
            recipient=party.user, topic="appraisal.draw_notice"
        ).first()
        assert msg is not None and "摇号" in msg.body


def test_no_notice_when_the_court_turns_it_off(setup):
    s = setup
    setting_set(
        key="notify_parties_before_draw",
        value=False,
        court=s["court"],
        reason="本院规定",
        actor=None,
    )
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    assert not ServiceRecord.objects.filter(subject=draw.subject).exists()


def test_commit_reveal_draw_runs_even_if_a_party_does_not_reveal(setup):
    """A party that commits and then keeps quiet cannot block the draw (APR-03)."""
    s = setup
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    court_secret, court_c = secret_pair("court")
    debtor_secret, debtor_c = secret_pair("debtor")
    _, creditor_c = secret_pair("creditor")
    services.draw_commit(draw=draw, participant_ref="court", commitment=court_c, actor=s["judge"])
    services.draw_commit(
        draw=draw,
        participant_ref=f"party:{s['debtor'].pk}",
        commitment=debtor_c,
        actor=s["debtor"].user,
    )
    services.draw_commit(
        draw=draw,
        participant_ref=f"party:{s['creditor'].pk}",
        commitment=creditor_c,
        actor=s["creditor"].user,
    )
    with pytest.raises(DomainError, match="承诺截止后"):
        services.draw_reveal(
            draw=draw, participant_ref="court", secret=court_secret, actor=s["judge"]
        )
    clock.advance(dt.timedelta(days=1, minutes=1))
    with pytest.raises(DomainError, match="承诺截止时间已过"):
        services.draw_commit(
            draw=draw, participant_ref="court", commitment=court_c, actor=s["judge"]
        )
    with pytest.raises(DomainError) as exc:
        services.draw_reveal(
            draw=draw, participant_ref="court", secret=court_secret + "x", actor=s["judge"]
        )
    assert exc.value.code == "reveal_mismatch"
    services.draw_reveal(
        draw=draw,
        participant_ref=f"party:{s['debtor'].pk}",
        secret=debtor_secret,
        actor=s["debtor"].user,
    )
    with pytest.raises(DomainError) as exc:
        services.draw_run(draw=draw, actor=s["judge"])
    assert exc.value.code in ("draw_too_early", "court_reveal_required")
    services.draw_reveal(draw=draw, participant_ref="court", secret=court_secret, actor=s["judge"])
    clock.advance(dt.timedelta(days=1))
    services.draw_run(draw=draw, actor=s["judge"])
    draw.refresh_from_db()
    assert draw.status == LotDraw.Status.DONE and len(draw.result) == 3
    expected_seed = algo.seed_of(
        draw_id=draw.pk,
        list_hash_hex=draw.list_hash,
        reveals=sorted([["court", court_secret], [f"party:{s['debtor'].pk}", debtor_secret]]),
    )
    assert draw.seed == expected_seed
    assert draw_verify(draw)["ok"]
    done = AuditEntry.objects.get(stream=f"case:{s['case'].pk}", action="draw.done")
    assert done.after is not None
    assert (
        done.after["unrevealed"] == [f"party:{s['creditor'].pk}"]
        and done.after["result"] == draw.result
    )
    # The first-ranked firm is commissioned (APR-04).
    assert req.commissions.get().firm_id == draw.result[0]


def test_the_court_must_reveal_before_the_draw(setup):
    s = setup
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    clock.advance(dt.timedelta(days=3))
    with pytest.raises(DomainError) as exc:
        services.draw_run(draw=draw, actor=s["judge"])
    assert exc.value.code == "court_reveal_required"


def test_only_the_party_itself_can_commit_for_it(setup):
    s = setup
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    _, c = secret_pair("x")
    with pytest.raises(DomainError) as exc:
        services.draw_commit(
            draw=draw,
            participant_ref=f"party:{s['debtor'].pk}",
            commitment=c,
            actor=s["creditor"].user,
        )
    assert exc.value.status == 403
    with pytest.raises(DomainError):
        services.draw_commit(
            draw=draw, participant_ref="court", commitment=c, actor=s["creditor"].user
        )


def test_secrets_stay_out_of_the_public_record_until_the_draw_is_done(setup):
    from appraisers.selectors import draw_public_record

    s = setup
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    secret, c = secret_pair("court")
    services.draw_commit(draw=draw, participant_ref="court", commitment=c, actor=s["judge"])
    clock.advance(dt.timedelta(days=1, minutes=1))
    services.draw_reveal(draw=draw, participant_ref="court", secret=secret, actor=s["judge"])
    assert secret not in str(draw_public_record(draw))
    clock.advance(dt.timedelta(days=1))
    services.draw_run(draw=draw, actor=s["judge"])
    draw.refresh_from_db()
    assert secret in str(draw_public_record(draw))


def test_public_value_must_be_fixed_after_the_freeze(setup):
    s = setup
    req = _to_draw(s)
    draw = services.draw_schedule(
        request=req,
        scheduled_at=clock.now() + dt.timedelta(hours=1),
        seed_mode="public_value",
        actor=s["judge"],
    )
    assert draw.frozen_at is not None
    with pytest.raises(DomainError) as exc:
        services.draw_public_value_set(
            draw=draw,
            value="123",
            source="开奖",
            fixed_at=draw.frozen_at - dt.timedelta(seconds=1),
            actor=s["judge"],
        )
    assert exc.value.code == "public_value_before_freeze"
    clock.advance(dt.timedelta(minutes=61))
    with pytest.raises(DomainError, match="公开随机值"):
        services.draw_run(draw=draw, actor=s["judge"])


def _done_draw(s):
    req = start_request(s)
    return run_public_draw(s, req)


@pytest.mark.parametrize("tamper", ["list", "list_and_hash", "public_value", "result"])
def test_verification_fails_when_the_stored_record_is_changed(setup, tamper):
    """REC-07: the draw's tables are checked against the recomputation and the audit trail."""
    s = setup
    draw = _done_draw(s)
    assert draw_verify(draw)["ok"]
    frozen = [dict(e) for e in draw.frozen_list]
    if tamper == "list":
        frozen[0]["id"] = frozen[0]["id"] + 1000
        LotDraw.objects.filter(pk=draw.pk).update(frozen_list=frozen)
    elif tamper == "list_and_hash":
        frozen[0]["name"] = "被替换的机构"
        LotDraw.objects.filter(pk=draw.pk).update(
            frozen_list=frozen, list_hash=algo.list_hash(frozen), seed="", result=[]
        )
        d = LotDraw.objects.get(pk=draw.pk)
        seed = algo.seed_of(
            draw_id=d.pk, list_hash_hex=d.list_hash, reveals=[], public_value=d.public_value
        )
        LotDraw.objects.filter(pk=draw.pk).update(
            seed=seed, result=algo.rank(seed, [e["id"] for e in frozen])
        )
    elif tamper == "public_value":
        LotDraw.objects.filter(pk=draw.pk).update(public_value="另一个开奖号码")
    else:
        LotDraw.objects.filter(pk=draw.pk).update(result=list(reversed(draw.result)))
    out = draw_verify(LotDraw.objects.get(pk=draw.pk))
    assert not out["ok"] and out["problems"]


@pytest.mark.parametrize("action", ["draw.frozen", "draw.done"])
def test_verification_reports_an_audit_entry_emptied_to_null_instead_of_crashing(setup, action):
    """REC-07: an audit entry whose recorded values were removed is a mismatch to report."""
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses any UPDATE of the audit table (append-only trigger)")
    s = setup
    draw = _done_draw(s)
    assert draw_verify(draw)["ok"]
    AuditEntry.objects.filter(subject=draw.subject, action=action).update(after=None)
    out = draw_verify(LotDraw.objects.get(pk=draw.pk))
    assert not out["ok"] and out["problems"]


@pytest.mark.parametrize("tamper", ["commitment", "reveal"])
def test_verification_fails_when_a_commitment_or_reveal_is_changed(setup, tamper):
    s = setup
    req = _to_draw(s)
    draw = _schedule_commit(s, req)
    secret, c = secret_pair("court")
    services.draw_commit(draw=draw, participant_ref="court", commitment=c, actor=s["judge"])
    clock.advance(dt.timedelta(days=1, minutes=1))
    services.draw_reveal(draw=draw, participant_ref="court", secret=secret, actor=s["judge"])
    clock.advance(dt.timedelta(days=1))
    services.draw_run(draw=draw, actor=s["judge"])
    row = draw.commitments.get(participant_ref="court")
    if tamper == "commitment":
        other_secret, other_c = secret_pair("other")
        type(row).objects.filter(pk=row.pk).update(commitment=other_c, secret=other_secret)
    else:
        type(row).objects.filter(pk=row.pk).update(secret=secret[:-1] + "Z")
    out = draw_verify(LotDraw.objects.get(pk=draw.pk))
    assert not out["ok"]


def test_draw_verify_command_says_whether_the_draw_matches(setup):
    s = setup
    draw = _done_draw(s)
    out = io.StringIO()
    call_command("draw_verify", str(draw.pk), stdout=out)
    assert "draw verifies" in out.getvalue()
    LotDraw.objects.filter(pk=draw.pk).update(result=list(reversed(draw.result)))
    with pytest.raises(CommandError):
        call_command("draw_verify", str(draw.pk), stdout=io.StringIO(), stderr=io.StringIO())


def test_a_draw_with_no_eligible_firm_is_refused(court, judge, frozen_now):
    from tests.appraisers.conftest import make_case

    case, creditor, debtor, asset = make_case(court, judge, kind="vehicle")
    make_firm(None)  # residential only
    s = {
        "court": court,
        "judge": judge,
        "case": case,
        "creditor": creditor,
        "debtor": debtor,
        "asset": asset,
    }
    req = _to_draw(s)
    with pytest.raises(DomainError) as exc:
        _schedule_commit(s, req)
    assert exc.value.code == "no_eligible_firms"


def test_only_the_drawn_firm_is_told_of_the_offer(setup):
    s = setup
    users = {f.pk: firm_user_for(f) for f in s["firms"]}
    draw = _done_draw(s)
    told = set(
        OutboxMessage.objects.filter(topic="appraisal.commission").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {users[draw.result[0]].pk}
    c = Commission.objects.get(firm_id=draw.result[0])
    services.commission_accept(commission=c, actor=users[draw.result[0]])
