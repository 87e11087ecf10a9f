"""Posting to the append-only double-entry ledger.

``post`` is the only writer of ledger rows. It refuses an unbalanced set of legs (PostgreSQL
refuses it again at commit with a deferred constraint trigger), locks the accounts it takes
money from in primary-key order and refuses to take a custody account below zero, keeps the
money of one case apart from every other case (FND-01), and makes every posting idempotent:
the same key returns the first transaction and moves nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext

from core import clock
from core.errors import Conflict, DomainError
from core.models import Court
from core.types import Actor
from settlement import locks
from settlement.models import LedgerAccount, LedgerLeg, LedgerTransaction

if TYPE_CHECKING:
    from cases.models import Case

#: A court or a case, as the object or its primary key.
CourtRef: TypeAlias = "Court | int"
CaseRef: TypeAlias = "Case | int | None"

Kind = LedgerAccount.Kind
Pool = LedgerAccount.Pool

_POOL = {
    Kind.CASE: Pool.MASTER,
    Kind.DEPOSIT_HOLD: Pool.AUCTION,
    Kind.SALE: Pool.AUCTION,
    Kind.FORFEIT_SUSPENSE: Pool.AUCTION,
    Kind.UNIDENTIFIED: Pool.MASTER,
    Kind.CREDITOR_PAYABLE: Pool.MASTER,
    Kind.DEBTOR_PAYABLE: Pool.MASTER,
    Kind.FEE_PAYABLE: Pool.MASTER,
    Kind.COST_PAYABLE: Pool.MASTER,
    Kind.REFUND_PAYABLE: Pool.MASTER,
    Kind.THIRD_PARTY_PAYABLE: Pool.MASTER,
    Kind.ESCROW: Pool.ESCROW,
    Kind.GATEWAY: Pool.EXTERNAL,
    Kind.BANK: Pool.EXTERNAL,
}


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount_fen: int
    external_ref: str = ""


def _court_id(court: CourtRef) -> int:
    return court.pk if isinstance(court, Court) else court


def _case_id(case: CaseRef) -> int | None:
    return case if case is None or isinstance(case, int) else case.pk


def require_amount(
    amount_fen: object, *, allow_zero: bool = False, field: str = "amount_fen"
) -> int:
    """Money is a whole number of fen; zero only where the contract allows it."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise DomainError("invalid_amount", gettext("金额须为整数（单位：分）"), field=field)
    if amount_fen < 0 or (amount_fen == 0 and not allow_zero):
        raise DomainError(
            "invalid_amount",
            gettext("金额须大于零") if not allow_zero else gettext("金额不得为负数"),
            field=field,
        )
    return amount_fen


def require_currency(currency: str) -> None:
    if currency != "CNY":
        raise DomainError(
            "wrong_currency",
            gettext("仅接受人民币（CNY）款项，收到 %(currency)s") % {"currency": currency},
            currency=currency,
        )


def account_for(
    *, court: CourtRef, kind: str, case: CaseRef = None, ref: str = "", name: str = ""
) -> LedgerAccount:
    """The ledger account of this kind for the court/case/ref, opened on first use."""
    court_id = _court_id(court)
    case_id = _case_id(case)
    code = f"{court_id}/{kind}/{case_id or '-'}/{ref}"
    found = LedgerAccount.objects.filter(code=code).first()
    if found is not None:
        return found
    label = (name or f"{Kind(kind).label} {ref}".strip())[:200]
    account = LedgerAccount(
        court_id=court_id,
        case_id=case_id,
        kind=kind,
        pool=_POOL[Kind(kind)],
        ref=ref,
        code=code,
        name=label,
        may_go_negative=kind in LedgerAccount.EXTERNAL_KINDS,
        opened_at=clock.now(),
    )
    # One round trip, no savepoint; a concurrent opener of the same code finds it taken.
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO settlement_ledgeraccount (court_id, case_id, kind, pool, ref, code, name, may_go_negative,"
            " opened_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO NOTHING RETURNING id",
            [
                court_id,
                case_id,
                kind,
                account.pool,
                ref,
                code,
                label,
                account.may_go_negative,
                connection.ops.adapt_datetimefield_value(account.opened_at),
            ],
        )
        row = cur.fetchone()
    if row is None:
        return LedgerAccount.objects.get(code=code)
    account.pk = row[0]
    account._state.adding = False
    account._state.db = "default"
    return account


def gateway_account(*, court: CourtRef, gateway: str) -> LedgerAccount:
    return account_for(
        court=court, kind=Kind.GATEWAY, ref=gateway, name=f"支付通道清算（{gateway}）"
    )


def bank_account(*, court: CourtRef) -> LedgerAccount:
    return account_for(court=court, kind=Kind.BANK, ref="master", name="银行往来（执行款专户）")


def balance(account: LedgerAccount | int) -> int:
    account_id = account.pk if isinstance(account, LedgerAccount) else account
    return LedgerLeg.objects.filter(account_id=account_id).aggregate(s=Sum("amount_fen"))["s"] or 0


def balances(account_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(account_ids))
    out = dict.fromkeys(ids, 0)
    rows = (
        LedgerLeg.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(s=Sum("amount_fen"))
    )
    for row in rows:
        out[row["account_id"]] = row["s"] or 0
    return out


def _fingerprint(legs: Sequence[Leg]) -> str:
    canon = sorted((leg.account.pk, leg.amount_fen, leg.external_ref) for leg in legs)
    return hashlib.sha256(json.dumps(canon).encode()).hexdigest()


def _same(existing: LedgerTransaction, fingerprint: str, key: str) -> LedgerTransaction:
    if existing.fingerprint != fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            gettext("该幂等键已用于另一笔不同的记账，拒绝重复使用"),
            idempotency_key=key,
        )
    return existing


_CLAIM_SQL = (
    "INSERT INTO settlement_ledgertransaction (court_id, case_id, kind, idempotency_key, fingerprint, ref, memo,"
    " posted_at, actor_id, reverses_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


def _claim(
    *,
    court_id: int,
    case_id: int | None,
    kind: str,
    key: str,
    fingerprint: str,
    ref: str,
    memo: str,
    posted_at: dt.datetime,
    actor_id: int | None,
    reverses_id: int | None,
) -> int | None:
    """Insert the transaction row unless its key exists: one round trip, no savepoint.

    Under PostgreSQL a concurrent insert of the same key waits for the other transaction and
    then finds the key taken (READ COMMITTED), so one posting wins and the other returns it.
    """
    with connection.cursor() as cur:
        cur.execute(
            _CLAIM_SQL,
            [
                court_id,
                case_id,
                kind,
                key,
                fingerprint,
                ref,
                memo,
                connection.ops.adapt_datetimefield_value(posted_at),
                actor_id,
                reverses_id,
            ],
        )
        row = cur.fetchone()
    return row[0] if row else None


def post(
    *,
    court: CourtRef,
    kind: str,
    idempotency_key: str,
    legs: Sequence[Leg],
    case: CaseRef = None,
    memo: str = "",
    ref: str = "",
    actor: Actor = None,
    reverses: LedgerTransaction | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Post one balanced transaction. Returns (transaction, created)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post must run inside the service's transaction")
    if not idempotency_key:
        raise DomainError("idempotency_key_required", gettext("记账须提供幂等键"))
    if len(legs) < 2:
        raise DomainError("unbalanced", gettext("一笔记账至少有两条分录"))
    for leg in legs:
        if (
            isinstance(leg.amount_fen, bool)
            or not isinstance(leg.amount_fen, int)
            or leg.amount_fen == 0
        ):
            raise DomainError("invalid_amount", gettext("分录金额须为非零整数（分）"))
    if sum(leg.amount_fen for leg in legs) != 0:
        raise DomainError("unbalanced", gettext("借贷不平：分录合计须为零"))
    court_id = _court_id(court)
    case_ids = {leg.account.case_id for leg in legs if leg.account.case_id is not None}
    if any(leg.account.court_id != court_id for leg in legs):
        raise DomainError("cross_court", gettext("不得跨法院记账"), rule="FND-01")
    if len(case_ids) > 1:
        raise DomainError(
            "cross_case", gettext("执行款专款专付，不得在不同案件之间划转"), rule="FND-01"
        )
    fingerprint = _fingerprint(legs)

    # Lock what we take money from (pk order), then check it stays at or above zero.
    takes: dict[int, int] = {}
    for leg in legs:
        if leg.amount_fen < 0 and not leg.account.may_go_negative:
            takes[leg.account.pk] = takes.get(leg.account.pk, 0) + leg.amount_fen
    if takes:
        locks.ledger_accounts_for_update(takes)
        current = balances(takes)
        for account_id, delta in takes.items():
            if current[account_id] + delta < 0:
                existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:  # a repeat of a posting that already moved the money
                    return _same(existing, fingerprint, idempotency_key), False
                account = next(leg.account for leg in legs if leg.account.pk == account_id)
                raise DomainError(
                    "insufficient_funds",
                    gettext("%(name)s 余额不足：余额 %(current).2f 元，需支出 %(value).2f 元")
                    % {
                        "name": account.name,
                        "current": current[account_id] / 100,
                        "value": -delta / 100,
                    },
                    rule="FND-01",
                    account=account.code,
                )

    now = clock.now()
    actor_id = actor.pk if actor is not None and actor.pk else None
    case_id = _case_id(case) or (next(iter(case_ids)) if case_ids else None)
    tx_id = _claim(
        court_id=court_id,
        case_id=case_id,
        kind=kind,
        key=idempotency_key,
        fingerprint=fingerprint,
        ref=ref[:200],
        memo=memo[:300],
        posted_at=now,
        actor_id=actor_id,
        reverses_id=reverses.pk if reverses is not None else None,
    )
    if tx_id is None:
        # The key is taken (a repeat, or a concurrent request that committed first): return that one.
        return _same(
            LedgerTransaction.objects.get(idempotency_key=idempotency_key),
            fingerprint,
            idempotency_key,
        ), False
    tx = LedgerTransaction(
        pk=tx_id,
        court_id=court_id,
        case_id=case_id,
        kind=kind,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        ref=ref[:200],
        memo=memo[:300],
        posted_at=now,
        actor_id=actor_id,
        reverses=reverses,
    )
    tx._state.adding = False
    tx._state.db = "default"
    LedgerLeg.objects.bulk_create(
        [
            LedgerLeg(
                transaction=tx,
                account=leg.account,
                amount_fen=leg.amount_fen,
                external_ref=leg.external_ref[:100],
                posted_at=now,
            )
            for leg in legs
        ]
    )
    return tx, True


def transfer(
    *,
    court: CourtRef,
    kind: str,
    idempotency_key: str,
    source: LedgerAccount,
    target: LedgerAccount,
    amount_fen: int,
    external_ref: str = "",
    case: CaseRef = None,
    memo: str = "",
    ref: str = "",
    actor: Actor = None,
) -> tuple[LedgerTransaction, bool]:
    """Move ``amount_fen`` from ``source`` to ``target`` (two legs)."""
    require_amount(amount_fen)
    return post(
        court=court,
        kind=kind,
        idempotency_key=idempotency_key,
        legs=[Leg(source, -amount_fen, external_ref), Leg(target, amount_fen, external_ref)],
        case=case,
        memo=memo,
        ref=ref,
        actor=actor,
    )


def reverse(
    *, tx: LedgerTransaction, idempotency_key: str, memo: str, actor: Actor = None
) -> LedgerTransaction:
    """Correct a transaction with its mirror image (never by editing it)."""
    legs = [
        Leg(leg.account, -leg.amount_fen, leg.external_ref)
        for leg in tx.legs.select_related("account")
    ]
    out, _ = post(
        court=tx.court_id,
        case=tx.case_id,
        kind="reversal",
        idempotency_key=idempotency_key,
        legs=legs,
        memo=memo,
        ref=tx.ref,
        actor=actor,
        reverses=tx,
    )
    return out


def ikey(service: str, key: str) -> str:
    """Namespace a caller's idempotency key by service, so two services never collide."""
    if not key or not str(key).strip():
        raise DomainError("idempotency_key_required", gettext("须提供幂等键（idempotency_key）"))
    return f"{service}:{key}"[:250]
