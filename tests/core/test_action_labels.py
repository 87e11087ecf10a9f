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


@pytest.mark.parametrize(
    "lang, says",
    [("zh-hans", "到期时间：2026-11-21 15:46"), ("en", "Expires: 2026-11-21 15:46")],
)
def test_a_key_reads_by_our_name_not_a_librarys(lang, says):
    """Found in the demo: a deposit captured before its authorisation expired read "Expires At"
    (django-axes' name for its own field) on the Chinese page."""
    from django.utils import translation

    entry = AuditEntry(
        action="deposit.capture_before_expiry",
        subject="case:1/auction:2",
        after={"expires_at": "2026-11-21T07:46:00+00:00"},
        before=None,
    )
    with translation.override(lang):
        assert history_rows([entry])[0]["summary"] == says
