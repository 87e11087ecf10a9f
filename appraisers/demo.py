"""Demo data: eight sample appraisal firms (marked 示例) in the demo court's province and city,
the ``appraiser`` demo user working for one of them, and one commission offered after a real,
verifiable lot draw, for a flat of the first sample case that nothing else prices or sells.
Idempotent: running it again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from appraisers import services
from appraisers.models import AppraisalRequest, Firm, FirmUser
from core import clock

SAMPLE_FIRMS = [
    # name, qualification, specialties, levels
    (
        "洪城示例房地产估价有限公司",
        "real_estate",
        ["residential", "commercial"],
        ["city", "province"],
    ),
    (
        "赣江示例资产评估事务所",
        "asset",
        ["residential", "commercial", "equity", "movable"],
        ["city", "province"],
    ),
    ("滕王阁示例土地房地产评估有限公司", "land", ["land", "residential"], ["city"]),
    ("青山湖示例价格评估有限公司", "real_estate", ["residential", "commercial"], ["city"]),
    ("豫章示例资产评估有限公司", "asset", ["equity", "movable", "vehicle"], ["city", "province"]),
    ("庐山示例房地产土地估价有限公司", "real_estate", ["residential", "land"], ["province"]),
    ("井冈示例机动车鉴定评估有限公司", "other", ["vehicle", "movable"], ["city", "province"]),
    ("鄱阳湖示例资产评估有限公司", "asset", ["residential", "commercial", "equity"], ["city"]),
]


def _firms(ctx: dict[str, Any]) -> list[Firm]:
    court = ctx["court"]
    actor = ctx.get("users", {}).get("operator")
    province, city = court.division_code[:2] + "0000", court.division_code[:4] + "00"
    firms = []
    for n, (name, qualification, specialties, levels) in enumerate(SAMPLE_FIRMS, start=1):
        licence = f"示例评估资质-{n:04d}"
        firm = Firm.objects.filter(licence_no=licence).first()
        if firm is None:
            firm = services.firm_create(
                name=f"{name}（示例）",
                licence_no=licence,
                qualification=qualification,
                division_code=city,
                actor=actor,
                recommended_by="中国资产评估协会（示例）",
                address=f"南昌市示例路{n}号（示例）",
                contact_name=f"联系人{n}（示例）",
                contact_phone="0791-00000000",
                is_sample=True,
            )
            for specialty in specialties:
                for level in levels:
                    services.roster_entry_add(
                        firm=firm,
                        specialty=specialty,
                        level=level,
                        division_code=city if level == "city" else province,
                        actor=actor,
                    )
            for k in (1, 2):
                services.appraiser_add(
                    firm=firm,
                    name=f"示例评估师{n}-{k}",
                    licence_no=f"示例执业-{n:02d}{k}",
                    specialty=specialties[0],
                    actor=actor,
                )
        firms.append(firm)
    return firms


def _assets(ctx: dict[str, Any]) -> list[Any]:
    assets = ctx.get("assets") or []
    if isinstance(assets, dict):
        assets = list(assets.values())
    return [a for a in assets if getattr(a, "pk", None)]


# How far ahead the demo draw is scheduled: APR-03 wants the time fixed before the draw, and
# scheduling itself takes a while on a busy machine (a few milliseconds were not enough).
DRAW_LEAD = dt.timedelta(seconds=1)


def _wait_until(when: dt.datetime) -> None:
    """Let the real clock pass ``when``; a test's frozen or shifted clock is moved instead."""
    if clock.is_controlled():
        if clock.now() < when:
            clock.advance(when - clock.now() + dt.timedelta(microseconds=1))
        return
    while (left := (when - clock.now()).total_seconds()) >= 0:
        time.sleep(left + 0.001)


def _demo_draw(ctx: dict[str, Any], asset: Any) -> Firm | None:
    judge = ctx.get("users", {}).get("judge")
    ref = f"demo:appraisal:asset:{asset.pk}"
    req = AppraisalRequest.objects.filter(procedure_ref=ref).first()
    if req is None:
        req = services.commission_request(
            case_id=asset.case_id,
            asset_id=asset.pk,
            procedure_ref=ref,
            purpose="为确定财产处置参考价（示例）",
            actor=judge,
        )
        services.agreement_skip(request=req, reason="示例数据：演示摇号流程", actor=judge)
        scheduled = clock.now() + DRAW_LEAD
        draw = services.draw_schedule(
            request=req, scheduled_at=scheduled, seed_mode="public_value", actor=judge
        )
        _wait_until(scheduled)
        services.draw_public_value_set(
            draw=draw,
            value=f"示例公开随机值-{draw.pk}-{clock.now():%Y%m%d%H%M%S%f}",
            source="示例数据：演示用数值，并非真实开奖号码",
            fixed_at=clock.now(),
            actor=judge,
        )
        services.draw_run(draw=draw, actor=judge)
    c = req.commissions.order_by("pk").first()
    return c.firm if c else None


APPRAISAL_ASSET = "东湖区示例路8号3栋1单元201室（示例，委托评估）"


def _appraisal_asset(ctx: dict[str, Any]) -> Any | None:
    """A flat of the first sample case kept for the appraisal demo: the other sample assets
    get their prices from pricing's demo (inquiry, market price) and go to auction, so an
    appraisal of one of them would contradict the reference price already on its page."""
    from cases.models import Asset
    from cases.services import asset_register, seizure_record

    cases = ctx.get("cases") or []
    judge = ctx.get("users", {}).get("judge")
    if not cases or judge is None:
        return None
    case = cases[0]
    asset = Asset.objects.filter(case=case, name=APPRAISAL_ASSET).first()
    if asset is None:
        asset = asset_register(
            case=case,
            kind="residential",
            name=APPRAISAL_ASSET,
            division_code=ctx["court"].division_code,
            address="江西省南昌市东湖区示例路8号3栋1单元201室（示例）",
            features={
                "area_m2": "96.20",
                "rooms": "3",
                "floor": "2",
                "total_floors": "7",
                "year_built": "2008",
                "usage": "住宅",
            },
            actor=judge,
        )
        seizure_record(
            asset=asset,
            kind="seal",
            seized_on=max(clock.today() - dt.timedelta(days=3), case.filed_on),
            document=f"{case.number}之四执行裁定书（示例）",
            actor=judge,
        )
    return asset


def seed(ctx: dict[str, Any]) -> None:
    firms = _firms(ctx)
    ctx["appraisal_firms"] = firms
    user = ctx.get("users", {}).get("appraiser")
    target = None
    assets = _assets(ctx)
    own = _appraisal_asset(ctx)
    if own is not None:
        target = _demo_draw(ctx, own)
    elif assets:
        preferred = [a for a in assets if a.kind in ("residential", "commercial")] or assets
        target = _demo_draw(ctx, preferred[0])
    if user is not None and not FirmUser.objects.filter(user=user).exists():
        services.firm_user_add(
            firm=target or firms[0], user=user, actor=ctx.get("users", {}).get("operator")
        )
