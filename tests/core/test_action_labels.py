"""A case's history names every app's actions in Chinese, never internal codes."""

import pytest

from cases.audit_labels import history_rows
from core.audit import action_label
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "action, label",
    [
        ("receipt.recorded", "款项到账"),
        ("payout.paid", "款项已发放"),
        ("pricing.price_fixed", "确定参考价"),
        ("viewing.confirmed", "确认看样"),
    ],
)
def test_settlement_pricing_and_marketplace_actions_have_names(action, label):
    assert str(action_label(action)) == label
    row = history_rows([AuditEntry(action=action, after={}, before=None)])[0]
    assert str(row["label"]) == label
