"""Settlement's own switches (registered with core.rulesettings; RULES.md §8 has the rest)."""

from __future__ import annotations

from core.rulesettings import SettingSpec, register


def register_specs() -> None:
    register(
        SettingSpec(
            "authorisation_valid_days",
            7,
            "int",
            "A",
            ("AUC-17",),
            "保证金预授权（冻结）有效天数（支付机构规定，届满前转为扣款）",
            min=1,
            max=30,
        ),
        SettingSpec(
            "capture_before_expiry_hours",
            24,
            "int",
            "A",
            ("AUC-17",),
            "预授权到期前多少小时转为扣款（扣款兜底）",
            min=1,
            max=168,
        ),
        SettingSpec(
            "balance_transfer_grace_hours",
            24,
            "int",
            "A",
            ("AUC-31", "AUC-33"),
            "尾款逾期认定的银行到账宽限小时数：期限内转账、次日才见于银行流水的仍视为按期缴纳",
            min=0,
            max=72,
        ),
    )
