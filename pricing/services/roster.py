"""The inquiry-platform roster (名单库, PRC-18): admission, lateness counting, flag, removal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import calendar, clock
from core.audit import audit_record
from core.errors import Conflict, DomainError
from core.models import Court, Role, User
from core.notifications import text
from core.rulesettings import get_setting
from core.types import Actor
from pricing.models import InquiryPlatform, InquiryRequest, PlatformLateness

FLAG_AT = 5  # PRC-18: flag at 5 unexcused late reports in one year (constant, RULES §8)
BAR_YEARS = 5  # PRC-18: a removed platform is barred 5 years
MIN_PRICE_DATA_KINDS = 3  # PRC-18 entry condition
MIN_RETENTION_YEARS = 10  # PRC-18 / REC-07
STREAM = "system:pricing-roster"
P = InquiryPlatform.Status


def active_platforms() -> QuerySet[InquiryPlatform]:
    """Every platform on the roster (a flagged one stays until the keeper decides)."""
    return InquiryPlatform.objects.filter(status__in=[P.ACTIVE, P.FLAGGED]).order_by(
        "sort_order", "pk"
    )


@transaction.atomic
def platform_admit(
    *,
    code: str,
    name: str,
    adapter: str,
    config: dict[str, Any] | None = None,
    secret: str = "",
    price_data_kinds: list[str],
    retention_years: int,
    sort_order: int = 0,
    actor: Actor = None,
) -> InquiryPlatform:
    """PRC-18 entry: at least 3 kinds of price data and at least 10 years' retention; no barred platform."""
    if adapter not in InquiryPlatform.Adapter.values:
        raise DomainError("unknown_adapter", _("接入方式只能为内置模型或 HTTP 接口"))
    kinds = [k for k in dict.fromkeys(price_data_kinds) if str(k).strip()]
    if len(kinds) < MIN_PRICE_DATA_KINDS:
        raise DomainError("too_few_price_data", _("入库平台须具备三类以上价格数据"), rule="PRC-18")
    if retention_years < MIN_RETENTION_YEARS:
        raise DomainError("retention_too_short", _("询价数据须保存十年以上"), rule="PRC-18")
    if adapter == InquiryPlatform.Adapter.HTTP and (not (config or {}).get("url") or not secret):
        raise DomainError("http_config_required", _("外部平台须配置接口地址和共享密钥"))
    now = clock.now()
    existing = InquiryPlatform.objects.select_for_update().filter(code=code).first()
    if existing is not None:
        if existing.status != P.REMOVED:
            raise Conflict("platform_exists", _("该平台已在名单库中"))
        if existing.barred_until and now < existing.barred_until:
            raise DomainError(
                "platform_barred",
                _("该平台被除名，%(date)s 前不得再入库")
                % {"date": format(existing.barred_until.astimezone(calendar.CST), "%Y-%m-%d")},
                rule="PRC-18",
            )
        platform = existing
        platform.status = P.ACTIVE
        platform.flagged_at = None
    else:
        platform = InquiryPlatform(code=code)
    platform.name = name
    platform.adapter = adapter
    platform.config = config or {}
    platform.secret = secret
    platform.price_data_kinds = kinds
    platform.retention_years = retention_years
    platform.admitted_at = now
    platform.sort_order = sort_order
    platform.save()
    audit_record(
        stream=STREAM,
        action="platform.admitted",
        actor=actor,
        subject=f"inquiry-platform:{code}",
        after={
            "name": name,
            "adapter": adapter,
            "price_data_kinds": kinds,
            "retention_years": retention_years,
        },
        rules=["PRC-18"],
    )
    return platform


def platform_admit_builtin(
    *,
    method: str,
    name: str = "",
    price_data_kinds: list[str],
    retention_years: int,
    actor: Actor = None,
) -> InquiryPlatform:
    """A built-in valuation platform (``gavel-<method>``) joins the roster through the roster
    page, on the same PRC-18 entry conditions as any platform. It answers with the active
    model of the asset's class and method; until one is trained (估价模型 page) its answer is
    an error the judge can read, retried by the sweep."""
    from pricing.services.training_runs import METHOD_LABELS

    if method not in METHOD_LABELS:
        raise DomainError("unknown_method", _("请选择估价方法（梯度提升模型或市场比较法）"))
    order = list(METHOD_LABELS).index(method) + 1
    return platform_admit(
        code=f"gavel-{method}",
        name=name.strip() or f"内置估价平台（{METHOD_LABELS[method]}）",
        adapter=InquiryPlatform.Adapter.BUILTIN,
        config={"method": method},
        price_data_kinds=price_data_kinds,
        retention_years=retention_years,
        sort_order=order,
        actor=actor,
    )


def _window_start(at: dt.datetime, court: Court | int | None = None) -> dt.datetime:
    window = get_setting("late_count_window", court=court)
    if window == "rolling_12_months":
        return calendar.months_after(at, -12)
    local = at.astimezone(calendar.CST)
    return dt.datetime(local.year, 1, 1, tzinfo=calendar.CST).astimezone(dt.UTC)


def late_count(platform: InquiryPlatform, *, at: dt.datetime | None = None) -> int:
    """Unexcused late reports inside the ``late_count_window`` (calendar year or rolling 12 months)."""
    at = at or clock.now()
    return PlatformLateness.objects.filter(
        platform=platform, excused=False, due_at__gt=_window_start(at), due_at__lte=at
    ).count()


def _check_flag(platform: InquiryPlatform, *, actor: Actor = None) -> None:
    platform = InquiryPlatform.objects.select_for_update().get(pk=platform.pk)
    n = late_count(platform)
    if platform.status == P.ACTIVE and n >= FLAG_AT:
        platform.status = P.FLAGGED
        platform.flagged_at = clock.now()
        platform.save(update_fields=["status", "flagged_at"])
        audit_record(
            stream=STREAM,
            action="platform.flagged",
            actor=actor,
            subject=f"inquiry-platform:{platform.code}",
            after={"late_count": n},
            rules=["PRC-18"],
        )
        from core.notifications import notify

        for keeper in User.objects.filter(role=Role.OPERATOR, is_active=True):
            notify(
                user=keeper,
                topic="pricing.platform_flagged",
                subject=text(
                    gettext_lazy("【名单库】%(platform)s逾期已达 %(n)s 次"),
                    platform=platform.name,
                    n=n,
                ),
                body=text(
                    gettext_lazy(
                        "%(platform)s在统计期内无正当理由逾期出具报告 %(n)s 次，"
                        "请名单库管理人决定是否除名（PRC-18）。"
                    ),
                    platform=platform.name,
                    n=n,
                ),
                key=f"platform:{platform.pk}:flag:{platform.flagged_at:%Y%m%d%H%M%S}",
                legal=True,
            )
    elif platform.status == P.FLAGGED and n < FLAG_AT:
        platform.status = P.ACTIVE
        platform.flagged_at = None
        platform.save(update_fields=["status", "flagged_at"])
        audit_record(
            stream=STREAM,
            action="platform.unflagged",
            actor=actor,
            subject=f"inquiry-platform:{platform.code}",
            after={"late_count": n},
            rules=["PRC-18"],
        )


def lateness_record(*, request: InquiryRequest, due_at: dt.datetime) -> PlatformLateness | None:
    """Count one late or missing report (PRC-18); once per request."""
    if PlatformLateness.objects.filter(request=request).exists():
        return None
    late = PlatformLateness.objects.create(
        platform=request.platform, request=request, due_at=due_at, recorded_at=clock.now()
    )
    audit_record(
        stream=STREAM,
        action="platform.late",
        subject=f"inquiry-platform:{request.platform.code}",
        after={"request": request.pk, "due_at": due_at.isoformat()},
        rules=["PRC-18", "PRC-07"],
    )
    _check_flag(request.platform)
    return late


@transaction.atomic
def lateness_excuse(
    *, lateness: PlatformLateness, excuse: str, actor: Actor = None
) -> PlatformLateness:
    """A late report with a good reason does not count (PRC-18 counts only unexcused ones)."""
    late = (
        PlatformLateness.objects.select_for_update().select_related("platform").get(pk=lateness.pk)
    )
    if not excuse.strip():
        raise DomainError("excuse_required", _("须说明正当理由"), rule="PRC-18")
    late.excused = True
    late.excuse = excuse.strip()
    late.save(update_fields=["excused", "excuse"])
    audit_record(
        stream=STREAM,
        action="platform.late_excused",
        actor=actor,
        subject=f"inquiry-platform:{late.platform.code}",
        after={"lateness": late.pk},
        reason=excuse,
        rules=["PRC-18"],
    )
    _check_flag(late.platform, actor=actor)
    return late


@transaction.atomic
def platform_remove(
    *, platform: InquiryPlatform, reason: str, actor: Actor = None
) -> InquiryPlatform:
    """The roster keeper removes a platform; it is barred for 5 years (PRC-18)."""
    p = InquiryPlatform.objects.select_for_update().get(pk=platform.pk)
    if p.status == P.REMOVED:
        raise Conflict("already_removed", _("该平台已被除名"), rule="PRC-18")
    if not reason.strip():
        raise DomainError("removal_reason_required", _("除名须说明理由"), rule="PRC-18")
    now = clock.now()
    p.status = P.REMOVED
    p.removed_at = now
    p.removal_reason = reason.strip()
    p.barred_until = calendar.months_after(now, 12 * BAR_YEARS)
    p.save()
    audit_record(
        stream=STREAM,
        action="platform.removed",
        actor=actor,
        subject=f"inquiry-platform:{p.code}",
        after={"barred_until": p.barred_until.isoformat(), "late_count": late_count(p)},
        reason=reason,
        rules=["PRC-18"],
    )
    return p
