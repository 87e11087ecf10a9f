"""Cash, field cash and instruments (FND-07, FND-09), direct payments to the creditor
(FND-05), and the monthly clearing of unclaimed receipts (FND-08).

Bank transfers arrive through ``receipts`` (matched or claimed, then the officer is told);
the money here reaches the court by hand:
- **cash at the finance counter** (FND-07): credited to the case at once, with a receipt
  on the spot (``cash_receive``);
- **cash collected in the field** (FND-09): by at least ``field_cash_min_officers`` court
  officers, with a voucher on the spot and a record signed by all present
  (``field_cash_collect``); finance takes it the same day, or within one more day with a
  written reason (``field_cash_hand_over``), and only then is the case credited;
- **an instrument** (票据, FND-07): an interim voucher at once (``instrument_receive``); when
  the money arrives the case is credited (``instrument_cleared``) and the payer must be told
  to collect the formal receipt within ``instrument_receipt_notice_days``
  (``instrument_formal_notice``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core import calendar, clock
from core.audit import audit_record
from core.deadlines import deadline_close, deadline_open
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.fsm import fire
from core.models import Court, Deadline, Role, User
from core.notifications import notify_many, text
from core.permissions import is_court_staff_of
from core.rulesettings import get_setting
from core.types import Actor
from settlement import ledger
from settlement.models import Arrival, DirectPayment, Receipt, UnclaimedClearing
from settlement.services._common import case_or_404, require_text, stream

M = Arrival.Method
S = Arrival.Status
FIELD_ROLES = (Role.OFFICER, Role.JUDGE)  # court officers who may collect in the field


def _finance(actor: Actor, court_id: int, rule: str) -> User:
    if not isinstance(actor, User) or not is_court_staff_of(actor, court_id, roles=(Role.FINANCE,)):
        raise PermissionDenied("forbidden", _("只有本院财务人员可以收款"), rule=rule)
    return actor


def _amount(amount_fen: object) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise DomainError("amount_invalid", _("金额须为整数（分）"), field="amount_fen")
    ledger.require_amount(amount_fen)
    return amount_fen


def _voucher_no(court: Court, method: str, when: dt.datetime) -> str:
    """收据号 per court, year and kind: 现金 X, 票据临时收据 P, 现场收款凭证 F."""
    letter = {M.CASH: "X", M.INSTRUMENT: "P", M.FIELD_CASH: "F"}[M(method)]
    year = when.astimezone(calendar.CST).year
    prefix = f"{court.code}-{year}-{letter}"
    Court.objects.select_for_update().filter(pk=court.pk).first()  # one number at a time
    n = Arrival.objects.filter(court=court, voucher_no__startswith=prefix).count() + 1
    return f"{prefix}{n:06d}"


def _credit(arrival: Arrival, *, actor: Actor, at: dt.datetime, reference: str) -> Receipt:
    """Credit the case account with the arrival's money (a receipt on the master account)."""
    from settlement.services.accounts import case_ledger_account
    from settlement.services.receipts import _arrived

    key = ledger.ikey("arrival", f"{arrival.pk}")
    receipt = Receipt.objects.create(
        court=arrival.court,
        case=arrival.case,
        source=Receipt.Source.MANUAL,
        bank_reference=reference,
        idempotency_key=key,
        received_at=at,
        amount_fen=arrival.amount_fen,
        payer_name=arrival.payer_name,
        memo=f"{arrival.get_method_display()} {arrival.voucher_no}"[:300],
        status=Receipt.Status.MATCHED,
        match_note=f"{arrival.get_method_display()}，收据 {arrival.voucher_no}"[:300],
        ledger_account=case_ledger_account(arrival.case_id),
        recorded_at=clock.now(),
    )
    ledger.transfer(
        court=arrival.court,
        case=arrival.case,
        kind="receipt",
        idempotency_key=key,
        source=ledger.bank_account(court=arrival.court),
        target=receipt.ledger_account,  # type: ignore[arg-type]
        amount_fen=arrival.amount_fen,
        external_ref=arrival.voucher_no,
        memo=f"{arrival.get_method_display()} {arrival.payer_name}"[:300],
        ref=f"receipt:{receipt.pk}",
        actor=actor if isinstance(actor, User) else None,
    )
    arrival.receipt = receipt
    _arrived(receipt, arrival.case)  # FND-07: officer and creditors told; FND-10 clock starts
    return receipt


def _audit(arrival: Arrival, action: str, actor: Actor, rules: list[str], **after: object) -> None:
    audit_record(
        stream=stream(arrival.case_id),
        action=action,
        actor=actor,
        subject=f"arrival:{arrival.voucher_no}",
        after={
            "method": arrival.method,
            "amount_fen": arrival.amount_fen,
            "payer": arrival.payer_name,
            "status": arrival.status,
            **after,
        },
        rules=rules,
    )


def _new(
    *, case_id: int, method: str, amount_fen: int, payer_name: str, actor: User, at: dt.datetime
) -> Arrival:
    case = case_or_404(case_id)
    return Arrival(
        court=case.court,
        case=case,
        method=method,
        amount_fen=_amount(amount_fen),
        payer_name=require_text(payer_name, "payer_name", _("交款人")),
        received_at=at,
        voucher_no=_voucher_no(case.court, method, at),
        recorded_by=actor,
        created_at=clock.now(),
    )


@transaction.atomic
def cash_receive(*, case_id: int, amount_fen: int, payer_name: str, actor: Actor) -> Arrival:
    """FND-07: cash at the finance counter: a receipt on the spot, the case credited at once."""
    case = case_or_404(case_id)
    user = _finance(actor, case.court_id, "FND-07")
    now = clock.now()
    arrival = _new(
        case_id=case.pk,
        method=M.CASH,
        amount_fen=amount_fen,
        payer_name=payer_name,
        actor=user,
        at=now,
    )
    arrival.status = S.CREDITED
    arrival.save()
    _credit(arrival, actor=user, at=now, reference=arrival.voucher_no)
    arrival.save(update_fields=["receipt"])
    _audit(arrival, "arrival.cash_received", user, ["FND-07"])
    return arrival


@transaction.atomic
def field_cash_collect(
    *,
    case_id: int,
    amount_fen: int,
    payer_name: str,
    officer_ids: Iterable[int],
    signed_by_ids: Iterable[int],
    place: str,
    actor: Actor,
) -> Arrival:
    """FND-09: cash collected outside the court: at least ``field_cash_min_officers`` of the
    court's officers present, the record signed by every one of them, a voucher on the spot;
    finance must take it the same day (``field_cash_handover_days`` 0)."""
    case = case_or_404(case_id)
    if not isinstance(actor, User) or not is_court_staff_of(
        actor, case.court_id, roles=FIELD_ROLES
    ):
        raise PermissionDenied("forbidden", _("只有本院执行人员可以现场收取现金"), rule="FND-09")
    present = set(officer_ids) | {actor.pk}
    officers = list(User.objects.filter(pk__in=present))
    if len(officers) != len(present) or not all(
        is_court_staff_of(u, case.court_id, roles=FIELD_ROLES) for u in officers
    ):
        raise DomainError(
            "field_cash_officer_invalid", _("在场人员须为本院执行人员"), rule="FND-09"
        )
    least = int(get_setting("field_cash_min_officers", court=case.court_id))
    if len(officers) < least:
        raise DomainError(
            "field_cash_too_few_officers",
            _("现场收取现金须有 %(least)s 名以上执行人员在场（现为 %(officers)s 名）")
            % {"least": least, "officers": len(officers)},
            rule="FND-09",
        )
    unsigned = present - set(signed_by_ids)
    if unsigned:
        names = "、".join(u.get_full_name() or u.username for u in officers if u.pk in unsigned)
        raise DomainError(
            "field_cash_record_unsigned",
            _("收款记录须由在场人员全部签名，尚缺：%(names)s") % {"names": names},
            rule="FND-09",
        )
    now = clock.now()
    arrival = _new(
        case_id=case.pk,
        method=M.FIELD_CASH,
        amount_fen=amount_fen,
        payer_name=payer_name,
        actor=actor,
        at=now,
    )
    arrival.place = require_text(place, "place", _("收取地点"))
    arrival.status = S.WITH_OFFICERS
    days = int(get_setting("field_cash_handover_days", court=case.court_id))
    arrival.handover_due_at = calendar.end_of_day(
        now.astimezone(calendar.CST).date() + dt.timedelta(days=days)
    )
    arrival.save()
    arrival.officers.set(officers)
    deadline_open(
        rule_id="FND-09",
        title=gettext_noop("现场收取现金交财务"),
        subject=f"case:{case.pk}/arrival:{arrival.pk}",
        start_event="field_cash_collected",
        started_at=now,
        unit=Deadline.Unit.FIXED,
        due_at=arrival.handover_due_at,
        court=case.court,
        owner=actor,
    )
    _audit(
        arrival,
        "arrival.field_cash_collected",
        actor,
        ["FND-09"],
        officers=sorted(u.pk for u in officers),
        place=arrival.place,
    )
    return arrival


def _arrival_for_update(arrival_id: int) -> Arrival:
    arrival = Arrival.objects.select_for_update().filter(pk=arrival_id).first()
    if arrival is None:
        raise NotFound("unknown_arrival", _("收款记录不存在"))
    return arrival


@transaction.atomic
def field_cash_hand_over(*, arrival_id: int, actor: Actor, late_reason: str = "") -> Arrival:
    """FND-09: finance takes the field cash and the case is credited. After the collection
    day it needs a written reason, and past one more day it is recorded as overdue."""
    arrival = _arrival_for_update(arrival_id)
    user = _finance(actor, arrival.court_id, "FND-09")
    if arrival.method != M.FIELD_CASH:
        raise Conflict("arrival_not_field_cash", _("这不是现场收取的现金"), rule="FND-09")
    now = clock.now()
    due = arrival.handover_due_at or now
    late = now > due
    if late and not late_reason.strip():
        raise DomainError(
            "field_cash_late_reason_required",
            _("超过当日交财务的，须写明理由"),
            rule="FND-09",
            field="late_reason",
        )
    fire(arrival.hand_over, Conflict("arrival_handed_over", _("该笔现金已交财务"), rule="FND-09"))
    arrival.handed_over_at = now
    arrival.handover_late_reason = late_reason.strip() if late else ""
    arrival.handover_overdue = now > calendar.end_of_day(
        due.astimezone(calendar.CST).date() + dt.timedelta(days=1)
    )
    _credit(arrival, actor=user, at=now, reference=arrival.voucher_no)
    arrival.save()
    deadline_close(subject=f"case:{arrival.case_id}/arrival:{arrival.pk}", rule_id="FND-09")
    _audit(
        arrival,
        "arrival.field_cash_handed_over",
        user,
        ["FND-09"],
        late_reason=arrival.handover_late_reason,
        overdue=arrival.handover_overdue,
    )
    return arrival


@transaction.atomic
def instrument_receive(
    *, case_id: int, amount_fen: int, payer_name: str, instrument_no: str, actor: Actor
) -> Arrival:
    """FND-07: an instrument (票据) handed in: an interim voucher at once; nothing is credited
    until the money arrives."""
    case = case_or_404(case_id)
    user = _finance(actor, case.court_id, "FND-07")
    arrival = _new(
        case_id=case.pk,
        method=M.INSTRUMENT,
        amount_fen=amount_fen,
        payer_name=payer_name,
        actor=user,
        at=clock.now(),
    )
    arrival.instrument_no = require_text(instrument_no, "instrument_no", _("票据号"))
    arrival.status = S.INTERIM
    arrival.save()
    _audit(
        arrival, "arrival.instrument_received", user, ["FND-07"], instrument=arrival.instrument_no
    )
    return arrival


@transaction.atomic
def instrument_cleared(
    *, arrival_id: int, bank_reference: str, actor: Actor, cleared_at: dt.datetime | None = None
) -> Arrival:
    """FND-07: the instrument's money arrived: the case is credited and the formal-receipt
    notice falls due within ``instrument_receipt_notice_days`` of the arrival."""
    arrival = _arrival_for_update(arrival_id)
    user = _finance(actor, arrival.court_id, "FND-07")
    reference = require_text(bank_reference, "bank_reference", _("银行流水号"))
    fire(arrival.clear, Conflict("arrival_not_interim", _("该票据已兑付入账"), rule="FND-07"))
    now = clock.now()
    arrival.cleared_at = cleared_at or now
    if arrival.cleared_at > now:
        raise DomainError("cleared_in_future", _("兑付时间不能晚于现在"), field="cleared_at")
    days = int(get_setting("instrument_receipt_notice_days", court=arrival.court_id))
    deadline = deadline_open(
        rule_id="FND-07",
        title=gettext_noop("通知领取票据正式收据"),
        subject=f"case:{arrival.case_id}/arrival:{arrival.pk}",
        start_event="instrument_cleared",
        started_at=arrival.cleared_at,
        period=days,
        unit=Deadline.Unit.CALENDAR_DAYS,
        court=arrival.court,
        owner_role=Role.FINANCE,
    )
    arrival.formal_notice_due_at = deadline.due_at
    _credit(arrival, actor=user, at=arrival.cleared_at, reference=reference)
    arrival.save()
    _audit(arrival, "arrival.instrument_cleared", user, ["FND-07"], bank_reference=reference)
    return arrival


@transaction.atomic
def instrument_formal_notice(*, arrival_id: int, actor: Actor) -> Arrival:
    """FND-07: tell the payer (through the case's officer and creditors) that the formal
    receipt is ready; closes the deadline."""
    from cases.models import Party

    arrival = _arrival_for_update(arrival_id)
    user = _finance(actor, arrival.court_id, "FND-07")
    fire(
        arrival.notify_formal,
        Conflict("arrival_not_cleared", _("票据尚未兑付，或已通知"), rule="FND-07"),
    )
    arrival.formal_notified_at = clock.now()
    arrival.save()
    case = arrival.case
    people = [p.user for p in Party.objects.filter(case=case, user__isnull=False) if p.user]
    if case.officer is not None:
        people.append(case.officer)
    notify_many(
        people,
        topic="settlement.formal_receipt",
        subject=text(gettext_lazy("【正式收据】%(case)s"), case=case.number),
        body=text(
            gettext_lazy(
                "%(payer)s 交来的票据（%(instrument)s，%(amount)s 元）已兑付，"
                "请到财务部门领取正式收据。"
            ),
            payer=arrival.payer_name,
            instrument=arrival.instrument_no,
            amount=f"{arrival.amount_fen / 100:,.2f}",
        ),
        key=f"formal-receipt:{arrival.pk}",
        court=arrival.court_id,
    )
    deadline_close(subject=f"case:{arrival.case_id}/arrival:{arrival.pk}", rule_id="FND-07")
    _audit(arrival, "arrival.formal_receipt_notified", user, ["FND-07"])
    return arrival


@transaction.atomic
def direct_payment_record(
    *,
    case_id: int,
    creditor_party_id: int,
    amount_fen: int,
    paid_at: dt.datetime,
    channel: str,
    evidence: str,
    disputed: bool = False,
    actor: Actor,
) -> DirectPayment:
    """FND-05: the debtor paid the creditor directly. Allowed for money that is neither
    disputed nor to be distributed among several creditors; a deduction through the network
    query-and-control system (查控扣划, ``channel="deduction"``) must go to the special
    account and is never recorded as a direct payment."""
    from cases.models import Party

    case = case_or_404(case_id)
    if not isinstance(actor, User) or not is_court_staff_of(
        actor, case.court_id, roles=(Role.JUDGE, Role.OFFICER)
    ):
        raise PermissionDenied("forbidden", _("只有本院承办人员可以登记直接支付"), rule="FND-05")
    if channel == "deduction":
        raise DomainError(
            "deduction_must_use_special_account",
            _("通过网络执行查控系统扣划的款项须划入执行款专户，不得登记为直接支付"),
            rule="FND-05",
        )
    if channel != "direct":
        raise DomainError("channel_invalid", _("支付方式无效"), field="channel")
    if disputed:
        raise DomainError(
            "disputed_money_to_special_account", _("有争议的款项须交执行款专户"), rule="FND-05"
        )
    creditors = Party.objects.filter(case=case, role=Party.Role.CREDITOR)
    creditor = creditors.filter(pk=creditor_party_id).first()
    if creditor is None:
        raise NotFound("unknown_creditor", _("该案无此申请执行人"))
    if creditors.count() > 1:
        raise DomainError(
            "distributable_money_to_special_account",
            _("本案有多名申请执行人，须分配的款项须交执行款专户"),
            rule="FND-05",
        )
    now = clock.now()
    if paid_at > now:
        raise DomainError("paid_in_future", _("支付时间不能晚于现在"), field="paid_at")
    payment = DirectPayment.objects.create(
        court=case.court,
        case=case,
        creditor=creditor,
        amount_fen=_amount(amount_fen),
        paid_at=paid_at,
        evidence=require_text(evidence, "evidence", _("支付凭证说明")),
        recorded_by=actor,
        recorded_at=now,
    )
    audit_record(
        stream=stream(case.pk),
        action="direct_payment.recorded",
        actor=actor,
        subject=f"direct_payment:{payment.pk}",
        after={
            "creditor": creditor.name,
            "amount_fen": payment.amount_fen,
            "paid_at": str(paid_at),
        },
        rules=["FND-05"],
    )
    return payment


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def unclaimed_clearing_run(
    *, court_id: int, month: dt.date, actor: Actor = None
) -> UnclaimedClearing:
    """FND-08: the monthly clearing of unclaimed receipts. Lists every receipt still
    unidentified whose claim period ended before ``month`` began, with the total, once per
    court and month; finance and the bureau head are told."""
    start = _month_start(month)
    found = UnclaimedClearing.objects.filter(court_id=court_id, month=start).first()
    if found is not None:
        return found
    court = Court.objects.filter(pk=court_id).first()
    if court is None:
        raise NotFound("unknown_court", _("法院不存在"))
    cutoff = calendar.start_of_day(start)
    overdue = Receipt.objects.filter(
        court=court, status=Receipt.Status.UNIDENTIFIED, claim_due_at__lt=cutoff
    ).order_by("received_at", "pk")
    items = [
        {
            "receipt": r.pk,
            "bank_reference": r.bank_reference,
            "amount_fen": r.amount_fen,
            "payer": r.payer_name,
            "received_at": r.received_at.isoformat(),
        }
        for r in overdue
    ]
    clearing = UnclaimedClearing.objects.create(
        court=court,
        month=start,
        count=len(items),
        total_fen=overdue.aggregate(s=Sum("amount_fen"))["s"] or 0,
        items=items,
        created_at=clock.now(),
    )
    audit_record(
        stream=f"system:settlement:{court.pk}",
        action="unclaimed.cleared",
        actor=actor,
        subject=f"{start:%Y-%m}",
        after={"count": clearing.count, "total_fen": clearing.total_fen},
        rules=["FND-08"],
    )
    if items:
        staff = User.objects.filter(
            court=court, role__in=[Role.FINANCE, Role.BUREAU_HEAD], is_active=True
        )
        notify_many(
            staff,
            topic="settlement.unclaimed_clearing",
            subject=text(gettext_lazy("【待认领款月度清理】%(day)s"), day=start),
            body=text(
                gettext_lazy(
                    "截至 %(day)s，逾期未认领款 %(count)s 笔，合计 %(amount)s 元，请核查处理。"
                ),
                day=start,
                count=clearing.count,
                amount=f"{clearing.total_fen / 100:,.2f}",
            ),
            key=f"unclaimed-clearing:{court.pk}:{start:%Y-%m}",
            court=court.pk,
        )
    return clearing


def unclaimed_clearing_due() -> int:
    """Worker task: on the first days of a month, clear the previous month for every court
    (``unclaimed_clear_cycle`` monthly). Idempotent: once per court and month."""
    today = clock.now().astimezone(calendar.CST).date()
    month = _month_start(today)
    n = 0
    for court_id in Court.objects.values_list("pk", flat=True):
        if get_setting("unclaimed_clear_cycle", court=court_id) != "monthly":
            continue
        if not UnclaimedClearing.objects.filter(court_id=court_id, month=month).exists():
            unclaimed_clearing_run(court_id=court_id, month=month)
            n += 1
    return n
