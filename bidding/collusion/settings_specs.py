"""Thresholds of collusion detection (issue 19): [assumption] settings with documented defaults
(docs/collusion.md). A court tunes them on its own record; the bench shows the defaults' effect."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.rulesettings import SettingSpec, register

register(
    SettingSpec(
        "collusion_flag_score",
        70,
        "int",
        "A",
        ("AUC-43",),
        _("串通风险预警阈值（0–100 分）"),
        min=1,
        max=100,
    ),
    SettingSpec(
        "collusion_silent_registrants_min",
        3,
        "int",
        "A",
        ("AUC-43",),
        _("一次出价成交信号：未出价报名人最少人数"),
        min=1,
        max=50,
    ),
    SettingSpec(
        "collusion_co_appearance_min",
        3,
        "int",
        "A",
        ("AUC-43",),
        _("同时出现信号：同一法院/被执行人其他拍卖中共同报名的最少场次"),
        min=1,
        max=100,
    ),
    SettingSpec(
        "collusion_burst_count_min",
        3,
        "int",
        "A",
        ("AUC-43",),
        _("集中报名信号：同一网络报名最少人数"),
        min=2,
        max=100,
    ),
    SettingSpec(
        "collusion_burst_window_minutes",
        60,
        "int",
        "A",
        ("AUC-43",),
        _("集中报名信号：竞价开始或报名截止前的时间窗（分钟）"),
        min=1,
        max=1440,
    ),
    SettingSpec(
        "collusion_shill_share_min",
        "0.8",
        "decimal",
        "A",
        ("AUC-43",),
        _("抬价信号：在关联竞买人领先时加价的出价占比下限"),
        min="0.1",
        max="1",
    ),
    SettingSpec(
        "collusion_review_days",
        10,
        "int",
        "A",
        ("AUC-43",),
        _("串通风险预警的审查期限（日）"),
        min=1,
        max=60,
    ),
)
