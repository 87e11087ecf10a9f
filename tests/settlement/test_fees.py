"""Fees and costs charged by other apps (fee_charge): recorded once, paid first (FND-06)."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from settlement.models import Charge, LedgerLeg
from settlement.services import fee_charge

pytestmark = pytest.mark.django_db


def _charge(case, **kw):
    args = {
        "case_id": case.pk,
        "ref": "procedure:3",
        "kind": "appraisal_fee",
        "amount_fen": 800_000,
        "payee_ref": "firm:2",
        "payee_name": "某评估公司",
        "idempotency_key": "fee-1",
        **kw,
    }
    return fee_charge(**args)


@pytest.mark.parametrize(
    "kind", ["appraisal_fee", "inquiry_fee", "auction_cost", "tax", "other_cost"]
)
def test_every_contract_fee_kind_is_recorded_without_moving_money(case, kind):
    charge = _charge(case, kind=kind, idempotency_key=kind)
    assert charge.kind == kind
    assert not LedgerLeg.objects.exists()  # paid through the distribution plan, costs first


def test_a_repeated_charge_is_recorded_once(case):
    assert _charge(case).pk == _charge(case).pk
    assert Charge.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "bribe"}, "invalid_fee_kind"),
        ({"amount_fen": 0}, "invalid_amount"),
        ({"amount_fen": -3}, "invalid_amount"),
        ({"payee_name": ""}, "required"),
    ],
)
def test_bad_charges_are_refused(case, kwargs, code):
    with pytest.raises(DomainError) as err:
        _charge(case, **kwargs)
    assert err.value.code == code
