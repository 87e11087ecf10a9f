"""Read queries for pages, the API and other apps. Nothing here reveals who paid a deposit
(REC-05): deposit holds appear under their registration reference."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Q, QuerySet, Sum

from core.calendar import CST
from core.models import Deadline, User
from core.refs import in_text as refs_in_text
from settlement import ledger
from settlement.models import (
    BalanceDue,
    CaseAccount,
    Charge,
    DepositHold,
    DistributionPlan,
    ForfeitSettlement,
    LedgerAccount,
    LedgerLeg,
    Payout,
    PayoutApproval,
    Receipt,
    ShortfallClaim,
)

if TYPE_CHECKING:
    from cases.models import Case
    from settlement.models import GatewayOperation, WebhookEvent

K = LedgerAccount.Kind


def case_account_balance(case_id: int) -> int:
    account = (
        CaseAccount.objects.filter(case_id=case_id, party_ref="")
        .select_related("ledger_account")
        .first()
    )
    return ledger.balance(account.ledger_account) if account else 0


@dataclass(frozen=True)
class StatementRow:
    at: dt.datetime
    kind: str
    memo: str
    ref: str
    in_fen: int
    out_fen: int
    balance_fen: int
    counterpart: str


class SubAccount(TypedDict):
    account: LedgerAccount
    name: str  # the account's name, its references in words (core.refs)
    balance_fen: int


class CaseStatement(TypedDict):
    account: CaseAccount | None  # None: the case has no account yet
    rows: list[StatementRow]
    opening_fen: int
    closing_fen: int
    subaccounts: list[SubAccount]


def case_statement(
    case_id: int, *, start: dt.date | None = None, end: dt.date | None = None
) -> CaseStatement:
    """Every movement of the case account (with running balance), plus its other sub-accounts.

    Counterparts are named by account name: deposit holds by registration reference only
    (its auction and bidder code, never the payer). Memos and names carry references; they are
    given in words (core.refs), never as ``case:2/auction:3``.
    """
    account = (
        CaseAccount.objects.filter(case_id=case_id, party_ref="")
        .select_related("ledger_account", "case")
        .first()
    )
    if account is None:
        return {"account": None, "rows": [], "opening_fen": 0, "closing_fen": 0, "subaccounts": []}
    la = account.ledger_account
    qs = LedgerLeg.objects.filter(account=la).select_related("transaction")
    opening = 0
    if start:
        lo = dt.datetime.combine(start, dt.time(0), tzinfo=CST)
        opening = (
            LedgerLeg.objects.filter(account=la, posted_at__lt=lo).aggregate(s=Sum("amount_fen"))[
                "s"
            ]
            or 0
        )
        qs = qs.filter(posted_at__gte=lo)
    if end:
        qs = qs.filter(
            posted_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=CST)
        )
    legs = list(qs.order_by("posted_at", "pk"))
    tx_ids = [leg.transaction_id for leg in legs]
    counter: dict[int, list[str]] = {}
    for tx_id, name in (
        LedgerLeg.objects.filter(transaction_id__in=tx_ids)
        .exclude(account=la)
        .values_list("transaction_id", "account__name")
    ):
        counter.setdefault(tx_id, []).append(name)
    rows: list[StatementRow] = []
    running = opening
    for leg in legs:
        running += leg.amount_fen
        rows.append(
            StatementRow(
                at=leg.posted_at,
                kind=leg.transaction.kind,
                memo=refs_in_text(leg.transaction.memo),
                ref=leg.transaction.ref,
                in_fen=max(leg.amount_fen, 0),
                out_fen=max(-leg.amount_fen, 0),
                balance_fen=running,
                counterpart="、".join(refs_in_text(n) for n in counter.get(leg.transaction_id, [])),
            )
        )
    subaccounts: list[SubAccount] = []
    accounts = (
        LedgerAccount.objects.filter(case_id=case_id).exclude(pk=la.pk).order_by("kind", "pk")
    )
    bal = ledger.balances(a.pk for a in accounts)
    for a in accounts:
        subaccounts.append(
            {"account": a, "name": refs_in_text(a.name), "balance_fen": bal.get(a.pk, 0)}
        )
    return {
        "account": account,
        "rows": rows,
        "opening_fen": opening,
        "closing_fen": running,
        "subaccounts": subaccounts,
    }


class CaseAccountRow(TypedDict):
    account: CaseAccount
    case: Case
    balance_fen: int
    auction_fen: int  # held for the case's auctions: deposits, sale prices, forfeits


def court_case_accounts(court_id: int, *, limit: int = 500) -> list[CaseAccountRow]:
    accounts = list(
        CaseAccount.objects.filter(court_id=court_id, party_ref="")
        .select_related("case", "ledger_account")
        .order_by("-opened_at")[:limit]
    )
    bal = ledger.balances(a.ledger_account_id for a in accounts)
    held = dict(
        LedgerLeg.objects.filter(
            account__court_id=court_id,
            account__case__isnull=False,
            account__kind__in=[K.DEPOSIT_HOLD, K.SALE, K.FORFEIT_SUSPENSE],
        )
        .values_list("account__case_id")
        .annotate(s=Sum("amount_fen"))
    )
    return [
        {
            "account": a,
            "case": a.case,
            "balance_fen": bal.get(a.ledger_account_id, 0),
            "auction_fen": held.get(a.case_id, 0) or 0,
        }
        for a in accounts
    ]


def pool_totals(court_id: int) -> dict[str, int]:
    """What each real account should hold (FND-06): master, auction, escrow."""
    rows = (
        LedgerLeg.objects.filter(account__court_id=court_id)
        .exclude(account__pool=LedgerAccount.Pool.EXTERNAL)
        .values_list("account__pool")
        .annotate(s=Sum("amount_fen"))
    )
    return {pool: total or 0 for pool, total in rows}


def receipts_to_claim(court_id: int) -> QuerySet[Receipt]:
    return Receipt.objects.filter(court_id=court_id, status=Receipt.Status.UNIDENTIFIED).order_by(
        "received_at"
    )


def payouts_awaiting(court_id: int, user: User | None = None) -> QuerySet[Payout]:
    qs = (
        Payout.objects.filter(court_id=court_id)
        .filter(
            Q(
                status__in=[
                    Payout.Status.PENDING_LEADER,
                    Payout.Status.PENDING_FINANCE,
                    Payout.Status.DEFERRAL_REQUESTED,
                    Payout.Status.FAILED,
                    Payout.Status.SENDING,
                ]
            )
        )
        .select_related("case")
        .order_by("created_at")
    )
    return qs


def payouts_awaiting_signature(user: User) -> QuerySet[Payout]:
    """The payouts whose next signature is this person's (FND-12 chain: the officer submits,
    the leader of the payout's tier or the bureau head approves, finance reviews and pays;
    FND-11: a deferral request waits for a leader). A judge: their own cases' payouts of the
    judge's tier; a bureau head: every payout at the leader's step (they may sign any tier).
    Never one they signed themselves. One query for the workbench's deadline tags and its
    待我审批 list."""
    from core.models import Role

    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False) or user.court_id is None:
        return Payout.objects.none()
    S = Payout.Status
    if role == Role.BUREAU_HEAD:
        wanted = Q(status=S.PENDING_LEADER) | Q(status=S.DEFERRAL_REQUESTED)
    elif role == Role.JUDGE:
        wanted = (
            Q(status=S.PENDING_LEADER, leader_role=Role.JUDGE) | Q(status=S.DEFERRAL_REQUESTED)
        ) & Q(case__judge_id=user.pk)
    elif role == Role.FINANCE:
        wanted = Q(status=S.PENDING_FINANCE)
    else:
        return Payout.objects.none()
    return (
        Payout.objects.filter(court_id=user.court_id)
        .filter(wanted)
        .exclude(
            pk__in=PayoutApproval.objects.filter(
                actor=user, step__in=["submit", "leader", "deferral_request"]
            ).values("payout_id")
        )
    )


def payout_subjects_awaiting_signature(user: User) -> list[str]:
    """``payouts_awaiting_signature`` as deadline subjects ``case:<cid>/payout:<pk>``."""
    rows = payouts_awaiting_signature(user).values_list("case_id", "pk")
    return [f"case:{cid}/payout:{pk}" for cid, pk in rows[:500]]


def plans(court_id: int, *, limit: int = 50) -> QuerySet[DistributionPlan]:
    return (
        DistributionPlan.objects.filter(court_id=court_id)
        .select_related("case")
        .order_by("-created_at")[:limit]
    )


SETTLEMENT_RULES = ("AUC-30", "AUC-31", "FND-08", "FND-10", "FND-11")


def flags(court_id: int) -> dict[str, list[Deadline]]:
    """Open funds deadlines of the court by colour (FND-16, REC-13)."""
    qs = Deadline.objects.filter(
        court_id=court_id, status=Deadline.Status.OPEN, rule_id__in=SETTLEMENT_RULES
    ).order_by("due_at")
    out: dict[str, list[Deadline]] = {"red": [], "yellow": [], "green": []}
    for d in qs[:500]:
        out.setdefault(d.flag, []).append(d)
    return out


def deposit_holds(case_id: int) -> QuerySet[DepositHold]:
    """Deposits of a case, by registration reference only (REC-05)."""
    return (
        DepositHold.objects.filter(case_id=case_id)
        .only(
            "ref",
            "status",
            "amount_fen",
            "held_at",
            "released_at",
            "applied_sale_ref",
            "forfeited_fen",
            "released_fen",
        )
        .order_by("created_at")
    )


class GatewayProblems(TypedDict):
    failed: list[GatewayOperation]
    flagged: list[WebhookEvent]


def gateway_problems(court_id: int) -> GatewayProblems:
    """What finance must look at by hand: failed gateway calls and flagged webhooks."""
    from settlement.models import GatewayOperation, PaymentIntent, WebhookEvent

    failed = list(
        GatewayOperation.objects.filter(
            court_id=court_id, status=GatewayOperation.Status.FAILED
        ).order_by("-created_at")[:50]
    )
    refs = set(
        PaymentIntent.objects.filter(court_id=court_id).values_list("reference", flat=True)[
            :100_000
        ]
    )
    refs |= set(
        GatewayOperation.objects.filter(court_id=court_id).values_list("reference", flat=True)[
            :100_000
        ]
    )
    flagged = [
        ev
        for ev in WebhookEvent.objects.filter(
            status__in=[WebhookEvent.Status.FLAGGED, WebhookEvent.Status.FAILED]
        ).order_by("-pk")[:200]
        if ev.merchant_reference in refs
    ][:50]
    return {"failed": failed, "flagged": flagged}


# ---- forfeited deposits (AUC-33/34, FND-06) ---------------------------------------------------


class ForfeitStep(TypedDict):
    step: str  # what people read: "（1）拍卖费用及损失"
    rule: str
    amount_fen: int
    into: str


class ForfeitApplied(TypedDict):
    settlement: ForfeitSettlement
    label: str
    steps: list[ForfeitStep]
    claim_fen: int


def forfeit_steps(fs: ForfeitSettlement) -> list[ForfeitStep]:
    """How one forfeited deposit was applied, step by step in the AUC-33 order."""
    into_case = "案款账户"
    return [
        {
            "step": "（1）拍卖费用及损失",
            "rule": "AUC-33",
            "amount_fen": fs.to_costs_fen,
            "into": into_case,
        },
        {
            "step": "（2）再次拍卖差价",
            "rule": "AUC-33",
            "amount_fen": fs.to_shortfall_fen,
            "into": into_case,
        },
        {
            "step": "（3）（4）被执行人本案及与该标的有关的债务",
            "rule": "AUC-33",
            "amount_fen": fs.to_debt_fen,
            "into": into_case,
        },
        {
            "step": "余额退还悔拍人",
            "rule": "AUC-34",
            "amount_fen": fs.to_defaulter_fen,
            "into": "原路退回",
        },
        {
            "step": "不足部分向悔拍人追偿",
            "rule": "AUC-34",
            "amount_fen": fs.pursued_fen,
            "into": "追偿债权",
        },
    ]


def forfeits_applied(case_id: int) -> list[ForfeitApplied]:
    """Every forfeited deposit of the case that has been applied, with its steps."""
    rows = ForfeitSettlement.objects.filter(hold__case_id=case_id).select_related("hold")
    claims = dict(ShortfallClaim.objects.filter(case_id=case_id).values_list("ref", "amount_fen"))
    return [
        {
            "settlement": fs,
            "label": fs.label or "悔拍保证金",
            "steps": forfeit_steps(fs),
            "claim_fen": int(claims.get(fs.hold.ref, 0)),
        }
        for fs in rows.order_by("settled_at", "pk")
    ]


def forfeit_applied_for(ref: str) -> ForfeitSettlement | None:
    """The application of the deposit forfeited under ``ref`` (a registration reference)."""
    return ForfeitSettlement.objects.filter(hold__ref=ref).first()


def forfeit_pending(ref: str) -> bool:
    """A forfeited deposit still in suspense, not yet applied (AUC-33)."""
    return DepositHold.objects.filter(
        ref=ref, status=DepositHold.Status.FORFEITED, forfeit_settlement__isnull=True
    ).exists()


def balances_of_case(case_id: int) -> QuerySet[BalanceDue]:
    """The buyers' balances of a case (AUC-31), with the receipts that paid them."""
    return (
        BalanceDue.objects.filter(case_id=case_id)
        .prefetch_related("receipts")
        .order_by("created_at", "pk")
    )


def balance_of_sale(sale_ref: str) -> BalanceDue | None:
    return BalanceDue.objects.filter(sale_ref=sale_ref).first()


def forfeits_pending_refs(*, limit: int = 200) -> list[str]:
    """References of forfeited deposits still in suspense (oldest first), for the worker."""
    return list(
        DepositHold.objects.filter(
            status=DepositHold.Status.FORFEITED, forfeit_settlement__isnull=True
        )
        .order_by("pk")
        .values_list("ref", flat=True)[:limit]
    )


def charges_fen(*, case_id: int, refs: list[str], kinds: list[str]) -> int:
    """What the case was charged under these references (costs of an auction and its re-runs)."""
    total = Charge.objects.filter(case_id=case_id, ref__in=refs, kind__in=kinds).aggregate(
        t=Sum("amount_fen")
    )["t"]
    return int(total or 0)


def deposit_payer_names(refs: list[str]) -> dict[str, str]:
    """Who paid each deposit (hold reference → the payer named on its payment), for the
    court's collusion analysis (bidding.collusion, issue 19); restricted data (REC-05): the
    caller keeps only a keyed hash of it, never shows it."""
    from settlement.models import PaymentIntent

    rows = DepositHold.objects.filter(ref__in=refs, intent__isnull=False).values_list(
        "ref", "intent_id"
    )
    intents = dict(rows)
    names = dict(
        PaymentIntent.objects.filter(pk__in=set(intents.values())).values_list("pk", "payer_name")
    )
    return {ref: names.get(iid, "") for ref, iid in intents.items() if names.get(iid)}


class ApprovalWaiting(TypedDict):
    """A signature waiting for one person (the workbench's 待审批, FND-06/FND-12)."""

    what: str
    case_number: str
    payee: str
    amount_fen: int
    since: dt.datetime
    url: str


def approvals_waiting_for(user: User) -> list[ApprovalWaiting]:
    """What waits for ``user``'s signature: draft distribution plans for the bureau head (all of
    the court's) or the case judge (their own cases), someone else's drafts only (FND-06);
    payouts at the leader's step for the role their amount names (a judge: their own cases),
    not already signed by the user; payouts at finance's step for the court's finance officers
    (FND-12). Oldest first."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from core.models import Role
    from settlement.models import DistributionPlan

    court_id = getattr(user, "court_id", None)
    if not user.is_authenticated or court_id is None:
        return []
    role = user.role
    out: list[ApprovalWaiting] = []
    own_cases = Q(case__judge_id=user.pk) if role == Role.JUDGE else Q()
    if role in (Role.JUDGE, Role.BUREAU_HEAD):
        plans = (
            DistributionPlan.objects.filter(court_id=court_id, status=DistributionPlan.Status.DRAFT)
            .filter(own_cases)
            .exclude(created_by_id=user.pk)
            .select_related("case")
        )
        for plan in plans:
            out.append(
                ApprovalWaiting(
                    what=_("分配方案 #%(n)s") % {"n": plan.pk},
                    case_number=plan.case.number,
                    payee="",
                    amount_fen=plan.available_fen,
                    since=plan.created_at,
                    url=reverse("settlement:plan_detail", args=[plan.pk]),
                )
            )
    payouts = payouts_awaiting_signature(user)
    for p in payouts.select_related("case").order_by("created_at", "pk"):
        out.append(
            ApprovalWaiting(
                what=_("款项发放（%(s)s）") % {"s": p.get_status_display()},
                case_number=p.case.number,
                payee=p.payee_name,
                amount_fen=p.amount_fen,
                since=p.created_at,
                url=reverse("settlement:payout_detail", args=[p.pk]),
            )
        )
    out.sort(key=lambda a: a["since"])
    return out
