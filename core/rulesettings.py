"""Rule settings (RULES.md §8): national defaults here, per-court overrides in the database.

A [firm] value is a legal bound: a court may only tighten it. Its spec's ``min`` is the legal
floor (a court may only raise it) and ``max`` the legal ceiling (a court may only lower it);
a value beyond either is refused with the rule ID. [practice]/[assumption] values are
configurable within a sanity range. Every change is audited (REC-08). An auction or
procedure keeps the values it was published with through ``settings_snapshot``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import JSONField, Q, Value
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import DomainError

if TYPE_CHECKING:
    from core.types import Actor


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    kind: str  # int | decimal | bool | choice | str | list
    tag: str  # F (firm) | P (practice) | A (assumption)
    rules: tuple[str, ...]
    label: Any  # a lazy translation (Chinese msgid)
    min: Any = None
    max: Any = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    fixed: bool = False
    extra: dict = field(default_factory=dict)

    def clean(self, value: Any) -> Any:
        """The value as stored, or ``DomainError`` citing the rule (a firm bound only tightens)."""
        rule = self.rules[0] if self.rules else None
        rules_text = "、".join(self.rules)
        if self.fixed:
            raise DomainError(
                "setting_fixed",
                _("参数 %(key)s 为法定值，不得修改（%(rules)s）")
                % {"key": self.key, "rules": rules_text},
                rule=rule,
            )
        if value is None:
            if self.nullable:
                return None
            raise DomainError(
                "setting_required", _("参数 %(key)s 不能为空") % {"key": self.key}, rule=rule
            )
        try:
            if self.kind == "int":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise TypeError
                value = int(value)
            elif self.kind == "decimal":
                if isinstance(value, bool):
                    raise TypeError
                number = Decimal(str(value).strip())
                if not number.is_finite():
                    raise ValueError
                value = str(number)
            elif self.kind == "bool":
                if not isinstance(value, bool):
                    raise TypeError
            elif self.kind == "choice":
                if value not in self.choices:
                    raise DomainError(
                        "setting_invalid_choice",
                        _("参数 %(key)s 只能取 %(choices)s")
                        % {"key": self.key, "choices": ", ".join(self.choices)},
                        rule=rule,
                    )
            elif self.kind == "list":
                if not isinstance(value, list):
                    raise TypeError
                if self.choices and any(item not in self.choices for item in value):
                    raise DomainError(
                        "setting_invalid_choice",
                        _("参数 %(key)s 只能取 %(choices)s")
                        % {"key": self.key, "choices": ", ".join(self.choices)},
                        rule=rule,
                    )
            elif self.kind == "str":
                value = str(value)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise DomainError(
                "setting_wrong_type", _("参数 %(key)s 类型错误") % {"key": self.key}, rule=rule
            ) from exc
        if self.kind in ("int", "decimal"):
            number = Decimal(str(value))
            if self.min is not None and number < Decimal(str(self.min)):
                raise DomainError(
                    "setting_out_of_range",
                    _("参数 %(key)s 不得低于 %(bound)s（%(rules)s）")
                    % {"key": self.key, "bound": self.min, "rules": rules_text},
                    rule=rule,
                )
            if self.max is not None and number > Decimal(str(self.max)):
                raise DomainError(
                    "setting_out_of_range",
                    _("参数 %(key)s 不得高于 %(bound)s（%(rules)s）")
                    % {"key": self.key, "bound": self.max, "rules": rules_text},
                    rule=rule,
                )
        return value


def _f(key: str, default: Any, kind: str, rules: str, label: Any, **kw: Any) -> SettingSpec:
    return SettingSpec(key, default, kind, "F", tuple(rules.split()), label, **kw)


def _p(key: str, default: Any, kind: str, rules: str, label: Any, **kw: Any) -> SettingSpec:
    return SettingSpec(key, default, kind, "P", tuple(rules.split()), label, **kw)


def _a(key: str, default: Any, kind: str, rules: str, label: Any, **kw: Any) -> SettingSpec:
    return SettingSpec(key, default, kind, "A", tuple(rules.split()), label, **kw)


SPECS: dict[str, SettingSpec] = {}


def register(*specs: SettingSpec) -> None:
    for spec in specs:
        SPECS[spec.key] = spec


# Firm bounds: "min" = the legal floor (only raise), "max" = the legal ceiling (only lower).
register(
    _f(
        "first_auction_min_start_ratio",
        "0.70",
        "decimal",
        "AUC-05",
        _("一拍起拍价不得低于参考价的比例"),
        min="0.70",
        max="1.00",
    ),
    _f(
        "second_auction_max_cut_ratio",
        "0.20",
        "decimal",
        "AUC-35",
        _("再次拍卖起拍价最大降价比例"),
        min="0",
        max="0.20",
    ),
    _f("announce_lead_days_r1_movable", 15, "int", "AUC-08", _("一拍动产公告期（日）"), min=15),
    _f(
        "announce_lead_days_r1_immovable",
        30,
        "int",
        "AUC-08",
        _("一拍不动产/财产权公告期（日）"),
        min=30,
    ),
    _f("announce_lead_days_r2_movable", 7, "int", "AUC-35", _("二拍动产公告期（日）"), min=7),
    _f(
        "announce_lead_days_r2_immovable",
        15,
        "int",
        "AUC-35",
        _("二拍不动产/财产权公告期（日）"),
        min=15,
    ),
    _f("party_notice_lead_days", 3, "int", "AUC-10", _("公告前通知当事人提前日数"), min=3),
    _f(
        "deposit_ratio_min",
        "0.05",
        "decimal",
        "AUC-16",
        _("保证金下限比例"),
        min="0.05",
        max="0.20",
    ),
    _f(
        "deposit_ratio_max",
        "0.20",
        "decimal",
        "AUC-16",
        _("保证金上限比例"),
        min="0.05",
        max="0.20",
    ),
    _f("bidding_min_hours", 24, "int", "AUC-22", _("竞价期最短小时数"), min=24),
    _f(
        "refund_hours_after_close",
        24,
        "int",
        "AUC-30",
        _("竞价结束后退还保证金时限（小时）"),
        min=1,
        max=24,
    ),
    _f(
        "winner_deposit_transfer_hours",
        24,
        "int",
        "AUC-30",
        _("买受人保证金转入时限（小时）"),
        min=1,
        max=24,
    ),
    _f(
        "balance_period_template_days",
        None,
        "int",
        "AUC-31",
        _("尾款期限模板（日，无默认）"),
        min=1,
        nullable=True,
    ),
    _f("sale_ruling_days", 10, "int", "AUC-32", _("成交裁定送达期限（日）"), min=1, max=10),
    _f("handover_days", 15, "int", "AUC-32", _("移交期限（日）"), min=1, max=15),
    _f(
        "reauction_days_after_unsold",
        30,
        "int",
        "AUC-35",
        _("流拍后再次拍卖期限（日）"),
        min=1,
        max=30,
    ),
    _a(
        "reauction_deadline_anchor",
        "announcement_published",
        "choice",
        "AUC-35",
        _("再拍期限截止事件"),
        choices=("announcement_published", "bidding_start"),
    ),
    _f("resume_days_online", 5, "int", "AUC-40", _("恢复拍卖期限（日）"), min=1, max=5),
    _f("resume_days_entrusted", 15, "int", "AUC-40", _("委托拍卖恢复期限（日）"), min=1, max=15),
    _f("bar_debtor_from_bidding", False, "bool", "AUC-12", _("禁止被执行人竞买（政策，非法律）")),
    _p("bids_on_increment_grid", True, "bool", "AUC-21", _("出价须为起拍价加整数倍加价幅度")),
    _p("first_bid_must_equal_start", False, "bool", "AUC-21", _("首次出价须等于起拍价")),
    _p("forbid_rebid_while_leading", True, "bool", "AUC-21", _("领先者不得再次出价")),
    _a("proxy_bidding_enabled", False, "bool", "AUC-27", _("代理出价（默认关闭）")),
    _a(
        "return_forfeit_surplus_to_defaulter",
        False,
        "bool",
        "AUC-34",
        _("悔拍保证金余额退还悔拍人"),
    ),
    _a("pursue_shortfall_from_defaulter", True, "bool", "AUC-34", _("向悔拍人追偿差价")),
    _a(
        "resume_schedule_mode",
        "court_sets_new_period",
        "choice",
        "AUC-41",
        _("恢复后的竞价期"),
        choices=("court_sets_new_period",),
    ),
    _a(
        "refund_hours_on_halt_or_withdrawal",
        24,
        "int",
        "AUC-41",
        _("中止/撤回后退还保证金时限（小时）"),
        min=1,
        max=24,
    ),
    _p("sale_announce_days", 15, "int", "AUC-37", _("变卖公告期限（日）"), min=1),
    _p("sale_period_days", 60, "int", "AUC-37", _("变卖期（日）"), min=1),
    _p("sale_countdown_hours", 24, "int", "AUC-37", _("变卖首次出价后倒计时（小时）"), min=1),
    _p(
        "sale_price_ratio_to_r2_start",
        "1.00",
        "decimal",
        "AUC-37",
        _("变卖价与二拍起拍价之比"),
        min="1.00",
    ),
    _p("sale_full_payment_to_qualify", True, "bool", "AUC-37", _("变卖须全额预缴")),
    _p(
        "sale_default_forfeit",
        "announced_deposit",
        "choice",
        "AUC-37",
        _("变卖悔拍没收金额"),
        choices=("announced_deposit",),
    ),
    _a("sale_immovable_lead_days", 15, "int", "AUC-38", _("不动产变卖公告期（日）"), min=0),
    _f(
        "offline_sale_floor_ratio",
        "0.50",
        "decimal",
        "AUC-39",
        _("线下变卖价下限比例"),
        min="0.50",
        max="1.00",
    ),
    _a(
        "debtor_self_sale_max_days", 60, "int", "AUC-44", _("被执行人自行处置最长期限（日）"), min=1
    ),
    _a("debtor_buyback_enabled", False, "bool", "AUC-44", _("被执行人回购")),
    _f(
        "pricing_start_days_after_seizure",
        30,
        "int",
        "PRC-01",
        _("查封后启动定价期限（日）"),
        min=1,
        max=30,
    ),
    _f("inquiry_correction_days", 3, "int", "PRC-08", _("询价补正期限（日）"), min=1, max=3),
    _f("inquiry_reissue_days", 3, "int", "PRC-12", _("询价重新出具期限（日）"), min=1, max=3),
    _f("report_delivery_days", 3, "int", "PRC-10", _("报告送达期限（日）"), min=1, max=3),
    _a(
        "mean_rounding",
        "0.01_half_up",
        "choice",
        "PRC-09",
        _("平均值舍入"),
        choices=("0.01_half_up",),
    ),
    _f(
        "result_validity_max_months",
        12,
        "int",
        "PRC-11",
        _("定价结果最长有效期（月）"),
        min=1,
        max=12,
    ),
    _f("validity_grace_months", 6, "int", "PRC-11", _("有效期届满后宽限（月）"), min=0, max=6),
    _f(
        "sale_start_days_after_price",
        10,
        "int",
        "PRC-13",
        _("确定参考价后启动变价期限（日）"),
        min=1,
        max=10,
    ),
    _a(
        "late_count_window",
        "calendar_year",
        "choice",
        "PRC-18",
        _("逾期次数统计区间"),
        choices=("calendar_year", "rolling_12_months"),
    ),
    _a("allow_pricing_skip", True, "bool", "PRC-19", _("允许不经定价程序（须说明理由）")),
    _p("notify_parties_before_draw", True, "bool", "APR-03", _("摇号前通知当事人")),
    _a(
        "appraiser_accept_days",
        None,
        "int",
        "APR-05",
        _("评估机构接受委托期限（日，默认不设）"),
        min=1,
        nullable=True,
    ),
    _a("redraw_when_exhausted", True, "bool", "APR-10", _("三家均失败时重新摇号")),
    _a(
        "appraisal_workload_cap_enabled",
        False,
        "bool",
        "APR-03",
        _("摇号时限制机构在办数量（无规则依据，默认关闭）"),
    ),
    _a("appraisal_workload_cap", 10, "int", "APR-03", _("机构在办委托上限"), min=1),
    _f("appraisal_report_days", 30, "int", "APR-07", _("评估报告出具期限（日）"), min=1, max=30),
    _f("appraisal_ext_max_count", 2, "int", "APR-08", _("延期申请最多次数"), min=0, max=2),
    _f("appraisal_ext_max_days", 15, "int", "APR-08", _("每次延期最长日数"), min=1, max=15),
    _f("appraisal_ext_request_lead_days", 5, "int", "APR-08", _("延期申请须提前日数"), min=5),
    _f("late_return_materials_days", 3, "int", "APR-09", _("退回材料期限（日）"), min=1, max=3),
    _f(
        "appraiser_explain_days",
        3,
        "int",
        "APR-11 APR-13",
        _("评估机构说明/补正期限（日）"),
        min=1,
        max=3,
    ),
    _f(
        "appraiser_reissue_days",
        15,
        "int",
        "PRC-12",
        _("评估机构重新出具期限（日）"),
        min=1,
        max=15,
    ),
    _f("reissue_fee_ratio", "0.30", "decimal", "PRC-16", _("重新出具报告费用比例"), fixed=True),
    _p(
        "account_granularity",
        "per_case",
        "choice",
        "FND-02",
        _("账户粒度"),
        choices=("per_case", "per_person_per_case"),
    ),
    _a(
        "strict_three_way_match",
        True,
        "bool",
        "FND-03",
        _("案号、付款人、金额三者一致方可自动匹配"),
    ),
    _p(
        "instrument_receipt_notice_days", 3, "int", "FND-07", _("票据正式收据通知期限（日）"), min=1
    ),
    _p("unidentified_claim_days", 3, "int", "FND-08", _("待认领款认领期限"), min=1),
    _p(
        "unidentified_claim_day_unit",
        "calendar",
        "choice",
        "FND-08",
        _("认领期限计日方式"),
        choices=("calendar", "working"),
    ),
    _p(
        "unclaimed_clear_cycle",
        "monthly",
        "choice",
        "FND-08",
        _("未认领款清理周期"),
        choices=("monthly",),
    ),
    _p(
        "reconciliation_cycle",
        "monthly",
        "choice",
        "FND-15",
        _("对账周期"),
        choices=("monthly", "daily"),
    ),
    _p("field_cash_min_officers", 2, "int", "FND-09", _("现场收取现金最少人数"), min=2),
    _p("field_cash_handover_days", 0, "int", "FND-09", _("现金交财务期限（日）"), min=0, max=1),
    _p("payout_days", 30, "int", "FND-10", _("款项发放期限（日）"), min=1),
    _a("deferral_release_days", 10, "int", "FND-11", _("暂缓事由消除后发放期限（日）"), min=1),
    _p("approval_tiers", [], "list", "FND-12", _("审批层级（按金额分档；空为单级）")),
    _a("third_party_payout_requires_panel", True, "bool", "FND-13", _("向第三人付款须合议")),
    _a("escrow_fee_borne_by_creditor", True, "bool", "FND-14", _("提存费用由申请执行人负担")),
    _a("goods_handout_days", 30, "int", "FND-17", _("执行物品发还期限（日）"), min=1),
    _a("weekends_are_holidays", True, "bool", "REC-02", _("周末为休假日")),
    _a(
        "lead_time_counting",
        "date_plus_n",
        "choice",
        "REC-01",
        _("提前期计算方式"),
        choices=("date_plus_n",),
    ),
    _a(
        "platform_timing",
        "exact_elapsed",
        "choice",
        "REC-03",
        _("平台计时方式"),
        choices=("exact_elapsed",),
    ),
    _a("timezone", "Asia/Shanghai", "choice", "REC-04", _("时区"), choices=("Asia/Shanghai",)),
    _a("reveal_losers_after_close", False, "bool", "REC-05", _("结束后公开未成交竞买人身份")),
    _f("auction_data_retention_years", 10, "int", "REC-06", _("拍卖数据保存年限"), min=10),
    _f(
        "pricing_retention_years",
        None,
        "int",
        "REC-07",
        _("定价记录保存年限（空为永久）"),
        min=10,
        nullable=True,
    ),
    _p(
        "notify_channels",
        ["sms", "inbox"],
        "list",
        "REC-11",
        _("通知渠道"),
        choices=("inbox", "sms", "email", "wechat"),
    ),
    _p("notify_on_arrival", True, "bool", "FND-07", _("到账通知")),
    _a("security_protection_level", 3, "int", "REC-14", _("等级保护级别"), min=1, max=5),
    _a("funds_retention_years", 10, "int", "REC-15", _("款项记录保存年限"), min=10),
    _p("deadline_escalation_days", 3, "int", "REC-13", _("超期后升级（标红）日数"), min=0),
)


def spec(key: str) -> SettingSpec:
    try:
        return SPECS[key]
    except KeyError as exc:
        raise DomainError("setting_unknown", _("未知参数 %(key)s") % {"key": key}) from exc


def _coerce(spec_: SettingSpec, value: Any) -> Any:
    if spec_.kind == "decimal" and value is not None:
        return Decimal(str(value))
    return value


def get_setting(key: str, *, court: Any = None, snapshot: dict | None = None) -> Any:
    """The value in force: the snapshot's, else the court's, else the national one, else the default.

    Decimals come back as ``Decimal``.
    """
    from core.models import RuleSetting

    s = spec(key)
    if snapshot is not None and key in snapshot:
        return _coerce(s, snapshot[key])
    court_id = getattr(court, "pk", court)
    rows = {
        r.court_id: r.value
        for r in RuleSetting.objects.filter(key=key).filter(
            Q(court__isnull=True) | Q(court_id=court_id) if court_id else Q(court__isnull=True)
        )
    }
    if court_id and court_id in rows:
        return _coerce(s, rows[court_id])
    if None in rows:
        return _coerce(s, rows[None])
    return _coerce(s, s.default)


def settings_snapshot(*, court: Any = None, keys: list[str] | None = None) -> dict[str, Any]:
    """All values in force for ``court``, JSON-ready, to store on a published procedure."""
    from core.models import RuleSetting

    court_id = getattr(court, "pk", court)
    values = {k: s.default for k, s in SPECS.items()}
    for r in RuleSetting.objects.filter(court__isnull=True):
        values[r.key] = r.value
    if court_id:
        for r in RuleSetting.objects.filter(court_id=court_id):
            values[r.key] = r.value
    if keys is not None:
        values = {k: values[k] for k in keys}
    return values


# Pairs that must stay ordered for the same court: (lower key, upper key).
ORDERED_PAIRS: tuple[tuple[str, str], ...] = (("deposit_ratio_min", "deposit_ratio_max"),)


def _check_pairs(key: str, cleaned: Any, court_id: Any) -> None:
    for low, high in ORDERED_PAIRS:
        if key not in (low, high) or cleaned is None:
            continue
        other_key = high if key == low else low
        other = get_setting(other_key, court=court_id)
        lo, hi = (Decimal(str(cleaned)), other) if key == low else (other, Decimal(str(cleaned)))
        if lo is not None and hi is not None and Decimal(str(lo)) > Decimal(str(hi)):
            raise DomainError(
                "setting_inconsistent",
                _("参数 %(low)s 不得高于 %(high)s") % {"low": low, "high": high},
                rule=spec(key).rules[0],
            )


def _stream_for(court_id: Any) -> str:
    return f"system:settings:{court_id or 'national'}"


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def setting_set(
    *, key: str, value: Any, court: Any = None, actor: Actor = None, reason: str
) -> Any:
    """Change a setting for a court (or nationally), refusing values outside the legal range.

    The change and its audit entry (stream ``system:settings:<court id>|national``) commit
    together (REC-08). Returns the value now in force.
    """
    from core.audit import audit_record
    from core.models import RuleSetting

    s = spec(key)
    if not reason or not reason.strip():
        raise DomainError("reason_required", _("修改规则参数须说明理由"), rule="REC-08")
    cleaned = s.clean(value)
    court_id = getattr(court, "pk", court)
    with transaction.atomic():
        _check_pairs(key, cleaned, court_id)
        old = get_setting(key, court=court_id)
        # A nullable setting's empty value (REC-07: pricing records kept permanently) is stored
        # as JSON ``null``; a bare ``None`` would be SQL NULL, which the column refuses.
        stored: Any = Value(None, JSONField()) if cleaned is None else cleaned
        RuleSetting.objects.update_or_create(
            court_id=court_id,
            key=key,
            defaults={"value": stored, "changed_at": clock.now(), "reason": reason},
        )
        audit_record(
            stream=_stream_for(court_id),
            action="setting.changed",
            actor=actor,
            subject=key,
            before={"value": _jsonable(old)},
            after={"value": cleaned},
            reason=reason,
            rules=s.rules,
        )
    return _coerce(s, cleaned)


def setting_clear(*, key: str, court: Any = None, actor: Actor = None, reason: str) -> Any:
    """Remove a court's (or the national) override: the next level's value applies again.

    Audited like a change. Returns the value now in force.
    """
    from core.audit import audit_record
    from core.models import RuleSetting

    s = spec(key)
    if not reason or not reason.strip():
        raise DomainError("reason_required", _("修改规则参数须说明理由"), rule="REC-08")
    court_id = getattr(court, "pk", court)
    with transaction.atomic():
        row = RuleSetting.objects.select_for_update().filter(court_id=court_id, key=key).first()
        if row is None:
            return get_setting(key, court=court_id)
        old = get_setting(key, court=court_id)
        row.delete()
        new = get_setting(key, court=court_id)
        _check_pairs(key, _jsonable(new), court_id)
        audit_record(
            stream=_stream_for(court_id),
            action="setting.cleared",
            actor=actor,
            subject=key,
            before={"value": _jsonable(old)},
            after={"value": _jsonable(new)},
            reason=reason,
            rules=s.rules,
        )
    return new
