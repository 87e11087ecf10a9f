"""Case accounts (一案一账号, FND-02) and payment notices (FND-04)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import audit_record
from core.errors import DomainError
from core.rulesettings import get_setting
from core.types import Actor
from settlement import accountno, ledger
from settlement.models import CaseAccount, LedgerAccount, PaymentNotice
from settlement.services._common import actor_or_none, case_or_404, require_text, stream

if TYPE_CHECKING:
    from cases.models import Case


def _case_ledger_account(case: Case) -> LedgerAccount:
    return ledger.account_for(
        court=case.court_id,
        kind=LedgerAccount.Kind.CASE,
        case=case,
        ref=f"case:{case.pk}",
        name=f"案款账户 {case.number}",
    )


@transaction.atomic
def case_account_open(*, case_id: int, party_ref: str = "", actor: Actor = None) -> CaseAccount:
    """The case's account with its virtual number (idempotent; every money flow opens it lazily).

    ``party_ref`` asks for a per-payer number, allowed when ``account_granularity`` is
    ``per_person_per_case`` (FND-02); it feeds the same case ledger account.
    """
    found = CaseAccount.objects.filter(case_id=case_id, party_ref=party_ref or "").first()
    if found is not None:
        return found
    case = case_or_404(case_id)
    if (
        party_ref
        and get_setting("account_granularity", court=case.court_id) != "per_person_per_case"
    ):
        raise DomainError(
            "account_granularity",
            _("本院执行款账户按案件设立（一案一账号），不为付款人另设子账户"),
            rule="FND-02",
        )
    if party_ref:
        primary = case_account_open(case_id=case.pk, actor=actor)
        CaseAccount.objects.select_for_update().filter(pk=primary.pk).first()
        sub = CaseAccount.objects.filter(case=case).exclude(party_ref="").count() + 1
        if sub > 99:
            raise DomainError(
                "too_many_subaccounts", _("该案付款人子账户已达上限（99 个）"), rule="FND-02"
            )
    else:
        sub = 0
    number = accountno.virtual_account_no(case.court.master_account_no, case.pk, sub)
    try:
        with transaction.atomic():
            account = CaseAccount.objects.create(
                case=case,
                court_id=case.court_id,
                party_ref=party_ref or "",
                account_no=number,
                ledger_account=_case_ledger_account(case),
                opened_at=clock.now(),
            )
    except IntegrityError:
        return CaseAccount.objects.get(case_id=case.pk, party_ref=party_ref or "")
    audit_record(
        stream=stream(case.pk),
        action="case_account.opened",
        actor=actor,
        subject=f"case:{case.pk}",
        after={"account_no": number, "party_ref": party_ref},
        rules=["FND-02"],
    )
    return account


@transaction.atomic
def case_account_set_gateway(
    *, account: CaseAccount, balance_account: str, reason: str, actor: Actor
) -> CaseAccount:
    """Route a case account's money to another balance account at the gateway (or back to the
    court's, with ""): audited with old and new values and the reason (REC-08, FND-02)."""
    why = require_text(reason, "reason", _("变更理由"))
    value = (balance_account or "").strip()
    if len(value) > 40:
        raise DomainError("invalid_balance_account", _("通道余额账户编号过长"), rule="FND-02")
    locked = CaseAccount.objects.select_for_update().get(pk=account.pk)
    before = locked.gateway_balance_account
    if value == before:
        return locked
    locked.gateway_balance_account = value
    locked.save(update_fields=["gateway_balance_account"])
    audit_record(
        stream=stream(locked.case_id),
        action="case_account.gateway_changed",
        actor=actor,
        subject=f"case:{locked.case_id}",
        before={"account_no": locked.account_no, "gateway_balance_account": before},
        after={"account_no": locked.account_no, "gateway_balance_account": value},
        reason=why,
        rules=["REC-08", "FND-02"],
    )
    return locked


def case_ledger_account(case_id: int) -> LedgerAccount:
    return case_account_open(case_id=case_id).ledger_account


def notice_memo(*, case: Case, debtor: str, payer: str, purpose: str) -> str:
    """FND-04: the memo carries the case number, debtor, payer and purpose."""
    return f"{case.number} 被执行人{debtor} 付款人{payer} {purpose}"[:300]


@transaction.atomic
def payment_notice_issue(
    *,
    case_id: int,
    payer_name: str,
    purpose: str,
    amount_fen: int,
    payer_ref: str = "",
    actor: Actor = None,
) -> PaymentNotice:
    """缴款通知书 (FND-04): pay into this case account only, quoting this memo."""
    from cases.models import Party

    case = case_or_404(case_id)
    payer_name = require_text(payer_name, "payer_name", _("付款人"))
    purpose = require_text(purpose, "purpose", _("款项用途"))
    ledger.require_amount(amount_fen)
    account = case_account_open(
        case_id=case.pk,
        party_ref=payer_ref
        if payer_ref
        and get_setting("account_granularity", court=case.court_id) == "per_person_per_case"
        else "",
        actor=actor,
    )
    debtors = (
        "、".join(
            Party.objects.filter(case=case, role=Party.Role.DEBTOR).values_list("name", flat=True)
        )
        or "—"
    )
    notice = PaymentNotice.objects.create(
        court_id=case.court_id,
        case=case,
        account_no=account.account_no,
        payer_name=payer_name,
        payer_ref=payer_ref,
        purpose=purpose,
        amount_fen=amount_fen,
        memo=notice_memo(case=case, debtor=debtors, payer=payer_name, purpose=purpose),
        token=secrets.token_urlsafe(16),
        issued_at=clock.now(),
        issued_by=actor_or_none(actor),
    )
    audit_record(
        stream=stream(case.pk),
        action="payment_notice.issued",
        actor=actor,
        subject=f"notice:{notice.pk}",
        after={
            "account_no": notice.account_no,
            "payer": payer_name,
            "purpose": purpose,
            "amount_fen": amount_fen,
        },
        rules=["FND-04"],
    )
    return notice
