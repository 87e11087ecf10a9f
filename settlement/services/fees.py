"""Costs and fees charged to a case by other apps (``fee_charge``), paid first (FND-06)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import audit_record
from core.errors import DomainError
from core.types import Actor
from settlement import ledger
from settlement.models import Charge
from settlement.services._common import actor_or_none, case_or_404, require_text, stream
from settlement.services.accounts import case_account_open

CONTRACT_KINDS = ("appraisal_fee", "inquiry_fee", "auction_cost", "tax", "other_cost")


@transaction.atomic
def fee_charge(
    *,
    case_id: int,
    ref: str,
    kind: str,
    amount_fen: int,
    payee_ref: str,
    payee_name: str,
    idempotency_key: str,
    actor: Actor = None,
) -> Charge:
    """Record a cost the case's funds owe (appraisal/inquiry fees PRC-15/16, auction costs, taxes
    AUC-45). Nothing moves yet: the distribution plan pays costs before creditors (EWR 34)."""
    key = ledger.ikey("fee_charge", idempotency_key)
    found = Charge.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    if kind not in CONTRACT_KINDS:
        raise DomainError(
            "invalid_fee_kind",
            _("费用类别只能是：%(contract_kinds)s") % {"contract_kinds": "、".join(CONTRACT_KINDS)},
            kind=kind,
        )
    ref = require_text(ref, "ref", _("业务引用"))
    payee_ref = require_text(payee_ref, "payee_ref", _("收款人引用"))
    payee_name = require_text(payee_name, "payee_name", _("收款人"))
    ledger.require_amount(amount_fen)
    case = case_or_404(case_id)
    case_account_open(case_id=case.pk)
    try:
        with transaction.atomic():
            charge = Charge.objects.create(
                court_id=case.court_id,
                case=case,
                ref=ref,
                kind=kind,
                amount_fen=amount_fen,
                payee_ref=payee_ref,
                payee_name=payee_name,
                idempotency_key=key,
                charged_at=clock.now(),
                charged_by=actor_or_none(actor),
            )
    except IntegrityError:
        return Charge.objects.get(idempotency_key=key)
    audit_record(
        stream=stream(case.pk),
        action="fee.charged",
        actor=actor,
        subject=ref,
        after={"kind": kind, "amount_fen": amount_fen, "payee": payee_name},
        rules=["FND-06"],
    )
    return charge
