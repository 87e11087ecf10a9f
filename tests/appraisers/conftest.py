"""Fixtures for the appraisers tests: a case with two parties and an asset, a roster of firms.

Cases, parties and assets are made with the models directly (cases' services are another
team's); firms and everything after go through this app's services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from appraisers import services
from cases.models import Party
from core import clock
from tests.conftest import make_user
from tests.factories import (
    AssetFactory,
    CaseFactory,
    CreditorFactory,
    DebtorFactory,
    PartyUserFactory,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_django import Settings

    from appraisers.models import AppraisalRequest, Commission, Firm, LotDraw
    from cases.models import Asset, Case
    from core.models import Court, User

_n = itertools.count(1)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def make_case(
    court: Court,
    judge: User | None = None,
    *,
    division_code: str = "360102",
    kind: str = "residential",
) -> tuple[Case, Party, Party, Asset]:
    """A case filed today with a creditor (a person) and a debtor (a company), each with an
    account of their own, and one asset."""
    now = clock.now()
    case = CaseFactory.create(court=court, judge=judge, claim_fen=100_000_000, filed_on=now.date())
    n = case.sequence
    creditor = CreditorFactory.create(case=case, name=f"申请人{n}", user=PartyUserFactory.create())
    debtor = DebtorFactory.create(
        case=case,
        kind=Party.Kind.ORGANISATION,
        name=f"被执行公司{n}",
        user=PartyUserFactory.create(),
    )
    asset = AssetFactory.create(
        case=case,
        kind=kind,
        name=f"东湖区某小区{n}栋住宅",
        division_code=division_code,
        features={"area_m2": 98.5},
    )
    return case, creditor, debtor, asset


def make_firm(
    actor: User | None,
    *,
    city: str = "360100",
    province: str = "360000",
    specialty: str = "residential",
    levels: tuple[str, ...] = ("city",),
    **kw: Any,
) -> Firm:
    n = next(_n)
    firm = services.firm_create(
        name=kw.pop("name", f"测试评估有限公司{n}"),
        licence_no=kw.pop("licence_no", f"LIC-{n:05d}"),
        qualification=kw.pop("qualification", "real_estate"),
        division_code=kw.pop("division_code", city),
        recommended_by=kw.pop("recommended_by", "中国资产评估协会"),
        actor=actor,
        **kw,
    )
    for level in levels:
        services.roster_entry_add(
            firm=firm,
            specialty=specialty,
            level=level,
            division_code=city if level == "city" else province,
            actor=actor,
        )
    services.appraiser_add(
        firm=firm, name=f"评估师{n}", licence_no=f"APR-{n:05d}", specialty=specialty, actor=actor
    )
    return firm


def firm_user_for(firm: Firm) -> User:
    user = make_user("appraiser")
    services.firm_user_add(firm=firm, user=user, actor=None)
    return user


def inspected(c: Commission) -> User:
    """A user of ``c``'s firm accepts it and records the site inspection an hour after
    noticing it (APR-05, APR-06): the report may be submitted next. Returns the user."""
    user = firm_user_for(c.firm)
    services.commission_accept(commission=c, actor=user)
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(hours=1), place="现场", actor=user
    )
    clock.advance(dt.timedelta(hours=1))
    services.inspection_record(commission=c, witness="见证人", actor=user)
    return user


def pdf_upload(content: bytes = PDF_BYTES, name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def report_data(firm: Firm, **over: Any) -> dict[str, Any]:
    today = clock.today()
    data = dict(
        amount_fen=123_456_700,
        value_date=today,
        valid_until=today + dt.timedelta(days=300),
        facts="房屋坐落、面积、权属经现场核实",
        method="市场比较法",
        standards="资产评估执业准则——不动产",
        signing_firm_name=firm.name,
        signing_firm_licence=firm.licence_no,
        signer_licences=list(firm.appraisers.values_list("licence_no", flat=True)),
    )
    data.update(over)
    return data


def secret_pair(label: str) -> tuple[str, str]:
    secret = f"{label}-secret-{next(_n):08d}-abcdefgh"
    return secret, hashlib.sha256(secret.encode()).hexdigest()


@pytest.fixture
def setup(court: Court, judge: User, frozen_now: dt.datetime) -> dict[str, Any]:
    """A case, its parties and asset, and five firms on the city sub-roster."""
    case, creditor, debtor, asset = make_case(court, judge)
    firms = [make_firm(None) for _ in range(5)]
    return {
        "court": court,
        "judge": judge,
        "case": case,
        "creditor": creditor,
        "debtor": debtor,
        "asset": asset,
        "firms": firms,
    }


def start_request(s: dict[str, Any], **kw: Any) -> AppraisalRequest:
    return services.commission_request(
        case_id=s["case"].pk,
        asset_id=s["asset"].pk,
        procedure_ref=kw.pop("procedure_ref", f"pricing:{next(_n)}"),
        purpose="确定财产处置参考价",
        actor=s["judge"],
        **kw,
    )


def run_public_draw(
    s: dict[str, Any], req: AppraisalRequest, *, value: str = "2026125期 03 07 11 19 24 30 + 09"
) -> LotDraw:
    """Skip agreement, schedule a public-value draw and run it. Returns the draw."""
    from appraisers.models import AppraisalRequest

    if req.status == AppraisalRequest.Status.AGREEMENT:
        services.agreement_skip(request=req, reason="被执行人下落不明，无法联系", actor=s["judge"])
    draw = services.draw_schedule(
        request=req,
        scheduled_at=clock.now() + dt.timedelta(hours=2),
        seed_mode="public_value",
        actor=s["judge"],
    )
    clock.advance(dt.timedelta(hours=2))
    services.draw_public_value_set(
        draw=draw,
        value=value,
        source="中国福利彩票双色球开奖公告",
        fixed_at=clock.now() - dt.timedelta(minutes=30),
        actor=s["judge"],
    )
    return services.draw_run(draw=draw, actor=s["judge"])


def drawn_firm_ids(draw: LotDraw) -> list[int]:
    """The firm ids ``draw`` picked, in order; fails the test when it has not been run."""
    assert draw.result is not None, f"draw {draw.pk} has no result"
    return list(draw.result)


def current_commission(req: AppraisalRequest) -> Commission:
    """The request's latest commission; fails the test when the request has none yet."""
    c = req.commissions.order_by("-pk").first()
    assert c is not None, f"request {req.pk} has no commission"
    return c


def io_bytes(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
