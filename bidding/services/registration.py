"""Registration (报名, AUC-11..19): real name, exclusion and defaulter bars, joint bidders,
agents, the deposit and the bidder code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bidding import locks
from bidding.models import (
    Auction,
    DefaulterBar,
    ExclusionEntry,
    Registration,
    RegistrationMember,
)
from bidding.services._common import (
    Caller,
    _bidding_open,
    _case_id,
    _hash_password,
    _issue_code,
    _lot_purchase_restricted,
    _notify_agent,
    _outstanding_claim_fen,
    _password_ok,
    _refuse,
    _save_stream_head,
    _scheduled,
    _stream_append,
    _unlock_token,
    setting,
)
from core import clock
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.models import User
from core.notifications import text

if TYPE_CHECKING:
    from cases.models import Identity, Party
    from settlement.models import PaymentIntent


def _verified_identity(user: Caller) -> Identity | None:
    from cases.selectors import verified_identity_for

    return verified_identity_for(user)


_BARRED_WHO = {"self": "您", "joint": "共同竞买人", "agent": "代理人"}


def _insiders(auction: Auction) -> Q:
    """AUC-11 by default, with no per-lot list: the enforcing court's own staff (the case
    judge included) and the platform operator (its operators and the admin's superusers)."""
    from core.models import STAFF_ROLES, Role

    q = Q(role=Role.OPERATOR) | Q(is_superuser=True)
    q |= Q(role__in=STAFF_ROLES, court_id=auction.court_id)
    case = auction.case
    if case is not None and case.judge_id is not None:
        q |= Q(pk=case.judge_id)
    return q


def _is_insider(auction: Auction, user: User | None) -> bool:
    """AUC-11: the account is an insider's (an identity belongs to one account, so the person
    cannot register under another one)."""
    return user is not None and User.objects.filter(_insiders(auction), pk=user.pk).exists()


def _identity_barred(
    auction: Auction, identity: Identity | None, who: str = "self", user: User | None = None
) -> DomainError | None:
    """AUC-11 (insiders by default, then the per-lot exclusion list) and the AUC-15 defaulter
    bar for one person of the registration on this lot.

    ``who``: whose identity it is in the registration ("self", "joint", "agent"), so the
    refusal names the right person (never who they are: REC-05)."""
    if auction.lot_id is None or auction.is_practice:
        return None
    person = _BARRED_WHO[who]
    if _is_insider(auction, user):
        message = (
            "执行法院工作人员和网络服务提供者不得参加竞买"
            if who == "self"
            else f"{person}为执行法院工作人员或网络服务提供者，不得参加竞买"
        )
        return _refuse("insider_barred", message, "AUC-11", who=who)
    if identity is None:
        return None
    if ExclusionEntry.objects.filter(
        lot_id=auction.lot_id, identity_kind=identity.kind, identity_number=identity.number
    ).exists():
        return _refuse(
            "excluded_bidder",
            _("根据规定，%(person)s不得参加本标的物的竞买") % {"person": person},
            "AUC-11",
            who=who,
        )
    if DefaulterBar.objects.filter(lot_id=auction.lot_id, identity_id=identity.pk).exists():
        message = (
            "悔拍人不得参加该标的物的再次拍卖"
            if who == "self"
            else f"{person}为该标的物的悔拍人，不得参加再次拍卖"
        )
        return _refuse("defaulter_barred", message, "AUC-15", who=who)
    return None


def registration_barred(auction: Auction, user: User) -> DomainError | None:
    """Why ``user`` may not register for ``auction`` whatever they fill in (AUC-11: an insider
    or a person on the lot's exclusion list; AUC-15: a defaulter of this lot), so the auction
    page can say so instead of offering a form that would be refused. ``None`` when nothing
    bars them; ``registration_create`` still checks everything when the form is submitted."""
    if auction.is_practice or not getattr(user, "is_authenticated", False):
        return None
    return _identity_barred(auction, _verified_identity(user), user=user)


def _party_of(auction: Auction, identity: Identity | None, user: User) -> Party | None:
    """The case party this bidder is (creditor or debtor may bid, AUC-12), if any."""
    if auction.case_id is None:
        return None
    from cases.models import Party

    q = Q(user_id=user.pk)
    if identity is not None:
        q |= Q(identity_id=identity.pk)
    return Party.objects.filter(case_id=auction.case_id).filter(q).order_by("pk").first()


def _registration_window(auction: Auction, now: dt.datetime) -> None:
    if _scheduled(auction) or (_bidding_open(auction) and auction.end_at and now < auction.end_at):
        return
    raise _refuse("registration_closed", _("本场拍卖当前不接受报名"), "AUC-17", state=auction.state)


@transaction.atomic
def registration_create(
    *,
    auction_id: int,
    user: Caller,
    accept_terms: bool,
    eligibility_declared: bool = False,
    joint_bidders: list[dict[str, Any]] | None = None,
    agent: User | None = None,
    claims_priority: bool = False,
) -> Registration:
    """Register a bidder (报名) under a verified real name (AUC-11..14, AUC-18).

    ``joint_bidders``: ``[{"user": User, "share": Decimal|str}]`` for the co-bidders; the
    registrant's own share is what is left of 100%. ``agent``: the user who bids on the
    registrant's behalf; the court must confirm the agency before bidding opens (AUC-14).
    """
    auction = locks.auction_for_update(auction_id)
    now = clock.now()
    _registration_window(auction, now)
    if not user.is_authenticated:
        raise PermissionDenied("not_authenticated", _("请先登录"))
    _check_may_register(auction, user, accept_terms)
    identity = _registrant_identity(auction, user, eligibility_declared)
    party = _party_of(auction, identity, user)
    if party is not None and party.role == "debtor" and setting(auction, "bar_debtor_from_bidding"):
        raise _refuse("debtor_barred", _("本院设置不允许被执行人竞买"), "AUC-12")
    members = _joint_members(auction, user, joint_bidders or [])
    agent_identity = _checked_agent(auction, user, agent, now) if agent is not None else None
    required, party_ref = _deposit_required(auction, party)
    reg = Registration.objects.create(
        auction=auction,
        user=user,
        identity=identity,
        accepted_terms_at=now,
        eligibility_declared=bool(eligibility_declared),
        claims_priority=bool(claims_priority),
        party_ref=party_ref,
        agent_user=agent,
        agent_identity=agent_identity,
        deposit_required_fen=required,
        created_at=now,
    )
    for co_user, share, co_identity in members:
        RegistrationMember.objects.create(
            registration=reg, identity=co_identity, user=co_user, share_percent=share
        )
    # REC-05: the audit records that *a* registration exists, never who made it.
    _stream_append(
        auction,
        action="registration.created",
        actor_label="竞买人",
        subject=f"registration:{reg.pk}",
        after={"joint": len(members), "agent": agent is not None, "deposit_required_fen": required},
        rules=["AUC-17"] + (["AUC-18"] if required != auction.deposit_fen else []),
    )
    _save_stream_head(auction)
    if agent is not None and not auction.is_practice:
        _notify_agent(
            reg,
            auction,
            subject=gettext_lazy("您被委托代理竞买"),
            body=text(
                gettext_lazy(
                    "有竞买人委托您代理参加“%(title)s”的竞买。法院须在竞价开始前确认此委托，"
                    "确认后您方可以该竞买人的竞买号出价（竞价密码由委托人告知）。"
                ),
                title=auction.title,
            ),
            key=f"agent_named:{reg.pk}",
        )
    return reg


def _check_may_register(auction: Auction, user: User, accept_terms: bool) -> None:
    """The terms accepted (AUC-09), not yet a bidder of this auction in any role."""
    if not accept_terms:
        raise _refuse("terms_not_accepted", _("须阅读并接受竞买须知"), "AUC-09")
    if Registration.objects.filter(auction_id=auction.pk, user_id=user.pk).exists():
        raise Conflict("already_registered", _("您已报名本场拍卖"))
    if Registration.objects.filter(auction_id=auction.pk, agent_user_id=user.pk).exists():
        # One person, one bidder per auction: a bid then belongs to exactly one registration.
        raise _refuse(
            "agent_registered", _("您已受托代理本场拍卖的竞买，不能再以本人名义报名"), "AUC-14"
        )


def _registrant_identity(
    auction: Auction, user: User, eligibility_declared: bool
) -> Identity | None:
    """The registrant's verified identity (AUC-17), not barred (AUC-11, AUC-15), eligible for a
    restricted house (AUC-13). Optional for practice: play money, no real name."""
    identity = _verified_identity(user)
    if auction.is_practice:
        return identity
    if identity is None:
        raise _refuse("identity_not_verified", _("须先完成实名认证才能报名"), "AUC-17")
    barred = _identity_barred(auction, identity, user=user)
    if barred:
        raise barred
    if auction.lot_id and _lot_purchase_restricted(auction) and not eligibility_declared:
        raise _refuse(
            "eligibility_not_declared", _("本标的物为限购房产，须声明具备购房资格"), "AUC-13"
        )
    return identity


def _joint_members(
    auction: Auction, user: User, joint_bidders: list[dict[str, Any]]
) -> list[tuple[User, Decimal, Identity]]:
    """The co-bidders as (user, share, identity): verified, not barred, shares under 100%."""
    members: list[tuple[User, Decimal, Identity]] = []
    total_share = Decimal(0)
    for item in joint_bidders:
        co_user: User | None = item.get("user")
        if co_user is not None and co_user.pk == user.pk:
            raise _refuse("invalid_joint_bidder", _("共同竞买人不能是报名人本人"))
        if co_user is not None and any(m[0].pk == co_user.pk for m in members):
            raise _refuse("invalid_joint_bidder", _("同一共同竞买人不能重复填写"))
        try:
            share = Decimal(str(item.get("share")))
        except Exception:
            raise _refuse("invalid_share", _("共同竞买份额无效")) from None
        if share <= 0 or share >= 100:
            raise _refuse("invalid_share", _("共同竞买份额须大于 0 且小于 100%"))
        co_identity = _verified_identity(co_user) if co_user is not None else None
        if co_user is None or co_identity is None:
            raise _refuse("identity_not_verified", _("共同竞买人须先完成实名认证"), "AUC-17")
        barred = _identity_barred(auction, co_identity, "joint", co_user)
        if barred:
            raise barred
        members.append((co_user, share, co_identity))
        total_share += share
    if members and total_share >= 100:
        raise _refuse("invalid_share", _("共同竞买人份额合计须小于 100%（其余为报名人份额）"))
    return members


def _checked_agent(auction: Auction, user: User, agent: User, now: dt.datetime) -> Identity | None:
    """The agent's identity once the agent may act (AUC-14): not the registrant, not already in
    this auction, verified, not barred, named before bidding starts."""
    if getattr(agent, "pk", None) == user.pk:
        raise _refuse("invalid_agent", _("代理人不能是本人"), "AUC-14")
    if (
        Registration.objects.filter(auction_id=auction.pk)
        .filter(Q(user_id=agent.pk) | Q(agent_user_id=agent.pk))
        .exists()
    ):
        # One person, one bidder per auction (the bid path finds the registration by
        # bidder or agent): an agent neither bids for themself nor for two registrants.
        raise _refuse(
            "agent_unavailable", _("该代理人已参加本场拍卖的竞买或已受他人委托"), "AUC-14"
        )
    agent_identity = _verified_identity(agent)
    if agent_identity is None and not auction.is_practice:
        raise _refuse("identity_not_verified", _("代理人须先完成实名认证"), "AUC-14")
    barred = _identity_barred(auction, agent_identity, "agent", agent)
    if barred:
        raise barred
    if auction.start_at and now >= auction.start_at:
        raise _refuse("agent_too_late", _("委托代理竞买须在竞价开始前经法院确认"), "AUC-14")
    return agent_identity


def _deposit_required(auction: Auction, party: Party | None) -> tuple[int, str]:
    """The deposit this registrant pays and its party reference: a creditor pays only what its
    outstanding claim does not cover (AUC-18)."""
    if party is None:
        return auction.deposit_fen, ""
    required = auction.deposit_fen
    if party.role == "creditor":
        from settlement.services import deposit_required_fen  # AUC-18

        required = deposit_required_fen(
            deposit_fen=auction.deposit_fen, outstanding_claim_fen=_outstanding_claim_fen(party)
        )
    return required, f"party:{party.pk}"


def _own_registration(registration_id: int, user: Caller) -> Registration:
    reg = Registration.objects.select_related("auction").filter(pk=registration_id).first()
    if reg is None or not user.is_authenticated or reg.user_id != user.pk:
        raise NotFound("registration_not_found", _("报名记录不存在"))
    return reg


def registration_pay_deposit(
    *, registration_id: int, user: Caller, return_url: str = ""
) -> PaymentIntent | None:
    """Ask settlement for the deposit (AUC-17); practice auctions take play money at once.

    Returns settlement's ``PaymentIntent`` (``.pay_url``, ``.status``), or ``None`` for a
    practice auction (the code is issued immediately). ``return_url``: where the payment page
    sends the bidder back to (the auction page).
    """
    reg = _own_registration(registration_id, user)
    auction = reg.auction
    now = clock.now()
    _registration_window(auction, now)
    if reg.status == Registration.Status.RELEASED and not auction.is_practice:
        # A halt refunded the deposit (AUC-41); after the resume the bidder pays again.
        reg.deposit_ref = f"{reg.ref}/hold:{int(now.timestamp())}"
        reg.status = Registration.Status.PENDING_DEPOSIT
        reg.deposit_held_at = None
        reg.save(update_fields=["deposit_ref", "status", "deposit_held_at"])
    if reg.status != Registration.Status.PENDING_DEPOSIT:
        raise Conflict("deposit_already_confirmed", _("保证金已确认"))
    if auction.is_practice:
        registration_deposit_confirmed(registration_id=reg.pk, amount_fen=reg.deposit_required_fen)
        return None
    if not reg.deposit_ref:
        Registration.objects.filter(pk=reg.pk).update(deposit_ref=reg.ref)
        reg.deposit_ref = reg.ref
    from settlement.services import deposit_request

    identity = reg.identity
    return deposit_request(
        case_id=_case_id(auction),
        ref=reg.money_ref,
        payer_ref=f"user:{reg.user_id}",
        payer_name=identity.name if identity else str(reg.user),
        amount_fen=reg.deposit_required_fen,
        idempotency_key=f"{reg.money_ref}/deposit",
        description=f"竞买保证金：{auction.title}",
        return_url=return_url,
    )


@transaction.atomic
def registration_deposit_confirmed(*, registration_id: int, amount_fen: int) -> Registration:
    """The deposit is held (settlement's ``DepositHeld``): issue the bidder code (AUC-17).

    Idempotent: a repeated event changes nothing. A deposit confirmed after bidding ended
    gets no code (its refund is settlement's release).
    """
    reg0 = Registration.objects.filter(pk=registration_id).values("auction_id").first()
    if reg0 is None:
        raise NotFound("registration_not_found", _("报名记录不存在"))
    auction = locks.auction_for_update(reg0["auction_id"])
    reg = Registration.objects.select_for_update().get(pk=registration_id)
    if reg.status != Registration.Status.PENDING_DEPOSIT:
        return reg
    now = clock.now()
    if amount_fen < reg.deposit_required_fen:
        raise _refuse("deposit_short", _("保证金金额不足"), "AUC-16")
    reg.deposit_held_fen = amount_fen
    reg.deposit_held_at = now
    if (auction.end_at is not None and now >= auction.end_at) or not (
        _scheduled(auction) or _bidding_open(auction)
    ):
        # Too late to bid (AUC-17: any time before bidding ends): send it straight back.
        reg.status = Registration.Status.RELEASED
        reg.save(update_fields=["deposit_held_fen", "deposit_held_at", "status"])
        if not auction.is_practice and amount_fen:
            from settlement.services import deposit_release

            deposit_release(
                ref=reg.money_ref,
                reason="竞价已结束，保证金原路退还（AUC-17）",
                idempotency_key=f"{reg.money_ref}/release",
            )
        return reg
    reg.status = Registration.Status.ACTIVE
    if not reg.bidder_code:
        _issue_code(reg, now=now)
    reg.save(
        update_fields=[
            "deposit_held_fen",
            "deposit_held_at",
            "status",
            "bidder_code",
            "code_issued_at",
        ]
    )
    _stream_append(
        auction,
        action="registration.code_issued",
        actor_label="系统",
        subject=f"registration:{reg.pk}",
        after={"deposit_fen": amount_fen},
        rules=["AUC-17"],
        at=now,
    )
    _save_stream_head(auction)
    return reg


@transaction.atomic
def registration_set_password(*, registration_id: int, user: Caller, password: str) -> None:
    """The bidder's own bidding password (AUC-17), stored hashed."""
    reg = _own_registration(registration_id, user)
    if not reg.bidder_code:
        raise _refuse(
            "deposit_not_confirmed", _("保证金确认并取得竞买号后方可设置竞价密码"), "AUC-17"
        )
    if not isinstance(password, str) or len(password) < 6 or len(password) > 64:
        raise _refuse("weak_password", _("竞价密码须为 6 至 64 位"))
    Registration.objects.filter(pk=reg.pk).update(password_hash=_hash_password(password))


@transaction.atomic
def registration_deposit_released(*, registration_id: int) -> None:
    """Settlement released a deposit (``DepositReleased``); idempotent."""
    Registration.objects.filter(
        pk=registration_id,
        status__in=[Registration.Status.ACTIVE, Registration.Status.PENDING_DEPOSIT],
    ).update(status=Registration.Status.RELEASED)


def registration_unlock(*, auction_id: int, user: Caller, password: str | None) -> str:
    """Unlock bidding in one auction (AUC-17): verify the bidding password once, at the full
    strength of account passwords, and return the unlock token the caller keeps server-side
    (the session, the websocket connection). Bids carrying the token skip the password check
    (``bid_place(unlock_token=…)``), so the expensive hash never runs on the bid path. Wrong
    passwords are counted and limited (``password_attempts_exceeded``)."""
    from bidding.services.bids import _registration_for_bid

    reg = _registration_for_bid(auction_id, user)
    if not reg.bidder_code:
        raise _refuse("deposit_not_confirmed", _("保证金尚未确认，不能出价"), "AUC-17")
    if not reg.password_hash:
        raise _refuse("password_not_set", _("请先设置竞价密码"), "AUC-17")
    if not isinstance(password, str) or not _password_ok(reg, password):
        raise _refuse("bad_password", _("竞价密码错误"), "AUC-17")
    return _unlock_token(reg)
