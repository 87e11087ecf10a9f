"""Rule settings (RULES.md §8): legal ranges, firm bounds only tightened, every change
audited (REC-08), snapshots keep the values a procedure was published with."""

from decimal import Decimal

import pytest

from core.errors import DomainError
from core.models import AuditEntry, RuleSetting
from core.rulesettings import (
    SPECS,
    get_setting,
    setting_clear,
    setting_set,
    settings_snapshot,
)

pytestmark = pytest.mark.django_db


def refused(key, value, court=None):
    with pytest.raises(DomainError) as exc:
        setting_set(key=key, value=value, court=court, reason="测试")
    return exc.value


def test_defaults_follow_rules_section_8():
    assert get_setting("first_auction_min_start_ratio") == Decimal("0.70")  # AUC-05
    assert get_setting("deposit_ratio_min") == Decimal("0.05")  # AUC-16
    assert get_setting("deposit_ratio_max") == Decimal("0.20")
    assert get_setting("bidding_min_hours") == 24  # AUC-22
    assert get_setting("announce_lead_days_r1_immovable") == 30  # AUC-08
    assert get_setting("balance_period_template_days") is None  # AUC-31: no default
    assert get_setting("bar_debtor_from_bidding") is False  # AUC-12
    assert get_setting("proxy_bidding_enabled") is False  # AUC-27
    assert get_setting("weekends_are_holidays") is True  # REC-02


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("first_auction_min_start_ratio", "0.69", "AUC-05"),  # floor 70 % may not be lowered
        ("deposit_ratio_max", "0.25", "AUC-16"),  # deposit 5–20 %
        ("deposit_ratio_min", "0.04", "AUC-16"),
        ("bidding_min_hours", 23, "AUC-22"),
        ("announce_lead_days_r1_movable", 14, "AUC-08"),
        ("second_auction_max_cut_ratio", "0.21", "AUC-35"),
        ("refund_hours_after_close", 25, "AUC-30"),
        ("sale_ruling_days", 11, "AUC-32"),
        ("appraisal_report_days", 31, "APR-07"),
        ("appraisal_ext_max_count", 3, "APR-08"),
        ("auction_data_retention_years", 9, "REC-06"),
    ],
)
def test_loosening_a_firm_bound_is_refused_with_the_rule_id(court, key, value, rule):
    err = refused(key, value, court)
    assert err.code == "setting_out_of_range"
    assert err.rule == rule
    assert rule in str(err.message)
    assert not RuleSetting.objects.filter(key=key).exists()
    assert not AuditEntry.objects.filter(action="setting.changed").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("first_auction_min_start_ratio", "0.80"),  # a higher floor is stricter
        ("deposit_ratio_min", "0.10"),
        ("bidding_min_hours", 48),
        ("announce_lead_days_r1_immovable", 45),
        ("refund_hours_after_close", 12),  # a shorter refund time is stricter
        ("reauction_days_after_unsold", 20),
    ],
)
def test_tightening_a_firm_bound_is_accepted_for_that_court_only(court, other_court, key, value):
    setting_set(key=key, value=value, court=court, reason="本院更严格")
    assert str(get_setting(key, court=court)) == str(value)
    assert get_setting(key, court=other_court) == get_setting(key)  # national default


def test_accepted_change_is_audited_with_actor_old_new_and_reason(court, judge):
    """REC-08: actor, role, old and new values and the reason, in the court's stream."""
    setting_set(key="bidding_min_hours", value=48, court=court, actor=judge, reason="院务会决定")
    entry = AuditEntry.objects.get(action="setting.changed")
    assert entry.stream == f"system:settings:{court.pk}"
    assert entry.actor == judge and entry.actor_role == "judge"
    assert entry.before == {"value": 24} and entry.after == {"value": 48}
    assert entry.reason == "院务会决定" and entry.rule_ids == "AUC-22"


def test_change_without_reason_is_refused(court):
    with pytest.raises(DomainError) as exc:
        setting_set(key="bidding_min_hours", value=48, court=court, reason=" ")
    assert exc.value.rule == "REC-08"


def test_fixed_value_cannot_be_changed():
    """PRC-16: the 30 % reissue fee is fixed by law."""
    err = refused("reissue_fee_ratio", "0.20")
    assert err.code == "setting_fixed" and err.rule == "PRC-16"


def test_wrong_types_unknown_keys_and_bad_choices_are_refused():
    assert refused("bidding_min_hours", "abc").code == "setting_wrong_type"
    assert refused("bidding_min_hours", 24.5).code == "setting_wrong_type"
    assert refused("bar_debtor_from_bidding", "yes").code == "setting_wrong_type"
    assert refused("deposit_ratio_min", "NaN").code == "setting_wrong_type"
    assert refused("deposit_ratio_max", "Infinity").code == "setting_wrong_type"
    assert refused("late_count_window", "decade").code == "setting_invalid_choice"
    assert refused("notify_channels", ["pigeon"]).code == "setting_invalid_choice"
    assert refused("no_such_setting", 1).code == "setting_unknown"


def test_deposit_minimum_may_not_exceed_maximum(court):
    """AUC-16: both ends may be tightened, but the range may not become empty."""
    setting_set(key="deposit_ratio_max", value="0.10", court=court, reason="本院")
    err = refused("deposit_ratio_min", "0.15", court)
    assert err.code == "setting_inconsistent" and err.rule == "AUC-16"
    setting_set(key="deposit_ratio_min", value="0.10", court=court, reason="本院")


def test_court_value_overrides_national_value_which_overrides_default(court):
    setting_set(key="payout_days", value=20, reason="全国统一调整")
    setting_set(key="payout_days", value=10, court=court, reason="本院")
    assert get_setting("payout_days") == 20
    assert get_setting("payout_days", court=court) == 10
    assert get_setting("payout_days", court=court.pk) == 10


def test_clearing_an_override_restores_the_next_level_and_is_audited(court):
    setting_set(key="payout_days", value=10, court=court, reason="本院")
    assert setting_clear(key="payout_days", court=court, reason="恢复默认") == 30
    assert get_setting("payout_days", court=court) == 30
    entry = AuditEntry.objects.get(action="setting.cleared")
    assert entry.before == {"value": 10} and entry.after == {"value": 30}


def test_snapshot_keeps_published_values_after_a_later_change(court):
    """An auction published under a 10 % minimum deposit keeps it after the court changes it."""
    setting_set(key="deposit_ratio_min", value="0.10", court=court, reason="本院")
    snap = settings_snapshot(court=court)
    setting_set(key="deposit_ratio_min", value="0.15", court=court, reason="再次调整")
    assert get_setting("deposit_ratio_min", court=court, snapshot=snap) == Decimal("0.10")
    assert get_setting("deposit_ratio_min", court=court) == Decimal("0.15")
    assert set(snap) == set(SPECS)


def test_every_firm_default_lies_inside_its_own_range():
    for spec in SPECS.values():
        if spec.fixed or spec.default is None:
            continue
        assert spec.clean(spec.default) is not None or spec.nullable, spec.key
