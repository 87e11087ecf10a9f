"""Record-keeping and access rules through the management commands and the admin that reach
them (issue 14): ``audit_export`` (REC-06 the auction record, REC-07 the pricing record),
``createoperator`` and the user admin (REC-14). The services are proven in test_audit.py,
test_onboarding.py and test_admin_rec08.py."""

from __future__ import annotations

import io
import itertools
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from core.models import AuditEntry, User

pytestmark = pytest.mark.django_db


def _tamper(sql: str, params: tuple = ()) -> None:
    """Change a row behind the application's back: on PostgreSQL a superuser switches the
    append-only triggers off for the session (what a forger with database access would do)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        try:
            cur.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")


def _export(stream: str, path) -> tuple[list[dict], str]:
    out = io.StringIO()
    call_command("audit_export", stream, str(path), stdout=out)
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    return lines, out.getvalue()


@pytest.mark.rule("REC-06", entry="command")
def test_rec06_audit_export_writes_the_whole_auction_record_and_finds_a_forged_bid(
    court, judge, frozen_now, tmp_path
):
    """REC-06: the exported auction record holds every bid with its code, amount and server
    time, chained; a bid amount changed in the database afterwards is reported as broken."""
    from tests.bidding.engine_factories import bid, make_case, make_live_auction, register_active

    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    reg = register_active(auction)
    bid(auction, reg, auction.starting_price_fen)
    stream = f"auction:{auction.pk}"
    lines, said = _export(stream, tmp_path / "auction.jsonl")
    assert "intact" in said
    assert len(lines) == AuditEntry.objects.filter(stream=stream).count()
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(lines))
    [accepted] = [x for x in lines if x["action"] == "bid.accepted"]
    assert accepted["at"] and str(auction.starting_price_fen) in json.dumps(accepted["after"])
    assert reg.bidder_code and reg.bidder_code in json.dumps(accepted, ensure_ascii=False)
    _tamper(
        "UPDATE core_auditentry SET after = %s WHERE stream = %s AND action = 'bid.accepted'",
        (json.dumps({"amount_fen": 1}), stream),
    )
    _lines, said = _export(stream, tmp_path / "auction-2.jsonl")
    assert f"BROKEN at seq {accepted['seq']}" in said
    with pytest.raises(CommandError):
        call_command("audit_export", "auction:0", str(tmp_path / "none.jsonl"))


@pytest.fixture
def setup(court, judge, frozen_now):
    """A case with its parties and asset, and five firms on the city sub-roster."""
    from tests.appraisers.conftest import make_case, make_firm

    case, creditor, debtor, asset = make_case(court, judge)
    firms = [make_firm(None) for _ in range(5)]
    return {"court": court, "judge": judge, "case": case, "creditor": creditor} | {
        "debtor": debtor,
        "asset": asset,
        "firms": firms,
    }


@pytest.mark.rule("REC-07", entry="command")
def test_rec07_audit_export_writes_the_lot_draw_tamper_evidently(setup, tmp_path):
    """REC-07: the exported pricing record of a lot draw holds the candidates' list hash, the
    seed, the algorithm version, the result, the time and the operator; a changed result is
    reported as broken."""
    from tests.appraisers.conftest import drawn_firm_ids, run_public_draw, start_request

    req = start_request(setup)
    draw = run_public_draw(setup, req)
    stream = f"case:{req.case_id}"
    lines, said = _export(stream, tmp_path / "case.jsonl")
    assert "intact" in said
    [done] = [x for x in lines if x["action"] == "draw.done"]
    for key in ("list_hash", "seed", "algorithm_version", "result", "drawn_at"):
        assert done["after"][key] not in (None, "", [])
    assert done["after"]["result"] == drawn_firm_ids(draw)
    assert done["actor_id"] == setup["judge"].pk and "REC-07" in done["rules"]
    forged = {**done["after"], "result": list(reversed(done["after"]["result"]))}
    _tamper(
        "UPDATE core_auditentry SET after = %s WHERE stream = %s AND seq = %s",
        (json.dumps(forged), stream, done["seq"]),
    )
    _lines, said = _export(stream, tmp_path / "case-2.jsonl")
    assert f"BROKEN at seq {done['seq']}" in said


@pytest.mark.rule("REC-14", entry="command")
def test_rec14_createoperator_refuses_a_weak_password_and_binds_a_second_factor(
    monkeypatch, settings
):
    """REC-14: a weak password is refused and nothing is created; the operator made without
    the admin door has no admin rights, no second factor yet (only the one-time enrolment link
    binds it), and the creation is audited with the rule."""
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}
    ]
    base = ["createoperator", "--username", "op1", "--name", "平台运营", "--noinput"]
    monkeypatch.setenv("OP_PASSWORD", "short")
    with pytest.raises(CommandError, match="password refused"):
        call_command(*base, "--password-from-env", "OP_PASSWORD", stdout=io.StringIO())
    assert not User.objects.filter(username="op1").exists()
    monkeypatch.setenv("OP_PASSWORD", "a-long-Passw0rd-2026")
    out = io.StringIO()
    call_command(*base, "--password-from-env", "OP_PASSWORD", "--no-admin", stdout=out)
    op = User.objects.get(username="op1")
    assert op.role == "operator" and not op.is_staff and not op.is_superuser
    from django_otp import devices_for_user

    assert list(devices_for_user(op, confirmed=True)) == []
    assert "/accounts/enrol/" in out.getvalue()
    entry = AuditEntry.objects.get(action="account.created", subject=f"user:{op.pk}")
    assert "REC-14" in entry.rule_ids and (entry.after or {}).get("admin") is False


@pytest.mark.rule("REC-14", entry="admin")
def test_rec14_the_user_admin_binds_staff_to_a_court_and_audits_the_role(
    client, platform_operator, court
):
    """REC-14: court staff added in the admin without their court is refused (nothing created);
    with it, the person gets that one role, no admin rights, and the creation is audited."""
    client.force_login(platform_operator)
    form = {
        "username": "newjudge",
        "usable_password": "true",
        "password1": "a-long-Passw0rd-2026",
        "password2": "a-long-Passw0rd-2026",
        "role": "judge",
        "display_name": "新法官",
    }
    r = client.post(reverse("admin:core_user_add"), form)
    assert r.status_code == 200 and "须指定所属法院" in r.content.decode()
    assert not User.objects.filter(username="newjudge").exists()
    r = client.post(reverse("admin:core_user_add"), {**form, "court": court.pk})
    assert r.status_code == 302, r.content.decode()[:500]
    judge = User.objects.get(username="newjudge")
    assert (judge.role, judge.court_id, judge.is_staff, judge.is_superuser) == (
        "judge",
        court.pk,
        False,
        False,
    )
    entry = AuditEntry.objects.get(action="user.created", subject=f"user:{judge.pk}")
    assert "REC-14" in entry.rule_ids and entry.actor == platform_operator
