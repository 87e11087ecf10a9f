"""Settings this app adds to RULES.md §8 ([assumption]: configurable, no test treats them as law)."""

from __future__ import annotations

from core.rulesettings import SettingSpec, register

# PRC-16 says on what value the fee is computed, not at what rate: the national price rule for
# appraisal fees was repealed and rates are now agreed locally. This cumulative band table is an
# engine default a court replaces with its own: [[upper bound in yuan or null, rate], …].
DEFAULT_FEE_SCHEDULE = [
    [1_000_000, "0.010"],
    [10_000_000, "0.005"],
    [50_000_000, "0.002"],
    [100_000_000, "0.001"],
    [None, "0.0005"],
]

register(
    SettingSpec(
        "appraisal_agreement_days",
        5,
        "int",
        "A",
        ("APR-02",),
        "当事人协商选定评估机构的默认期限（日，法院可逐案指定）",
        min=1,
        max=30,
    ),
    SettingSpec(
        "appraisal_fee_schedule",
        DEFAULT_FEE_SCHEDULE,
        "list",
        "A",
        ("PRC-16",),
        "评估费分档累进费率表（[上限元或空, 费率]，示例默认值，须按本地标准配置）",
    ),
    SettingSpec(
        "appraisal_report_max_mb",
        20,
        "int",
        "A",
        ("APR-04",),
        "评估报告 PDF 最大文件大小（MB）",
        min=1,
        max=100,
    ),
)
