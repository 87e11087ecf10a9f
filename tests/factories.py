"""factory_boy factories: the one place that knows how to build test rows.

Courts, people per role, cases with parties, assets, lots, identities and published auctions.
Helpers in the conftests (``make_court``, ``make_user``, each app's ``make_case``) are thin
wrappers over these, kept because many tests call them. Times come from ``core.clock``, so a
frozen clock gives frozen rows.

    court = CourtFactory.create()
    judge = JudgeFactory.create(court=court)
    case = CaseFactory.create(court=court, judge=judge, with_parties=True)
    lot = LotFactory.create(case=case, assets=[AssetFactory.create(case=case)])
    auction = AuctionFactory.create(lot=lot, state="scheduled", starts_in=dt.timedelta(days=3))

Use ``.create()`` (typed) rather than calling the class.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from factory.django import DjangoModelFactory, Password

from bidding.models import Auction, AuctionState
from cases.models import Asset, Case, Identity, Lot, Party, Seizure
from core import clock
from core.models import Court, User
from core.models.people import Role
from core.rulesettings import settings_snapshot

PASSWORD = "pw-for-tests-2026"  # every factory-made person's password
YUAN = 100


def _now() -> dt.datetime:
    return clock.now()


class CourtFactory(DjangoModelFactory[Court]):
    """A court with a unique code (测0001, 测0002, …) and its master account."""

    class Meta:
        model = Court

    name = factory.Sequence(lambda n: f"测试法院{n}")
    code = factory.Sequence(lambda n: f"测{n:04d}")
    division_code = "360102"
    master_account_no = factory.Sequence(lambda n: f"36010200000{n:05d}")
    master_account_bank = "测试银行"
    master_account_name = factory.Sequence(lambda n: f"测试法院{n}执行款专户")


class UserFactory(DjangoModelFactory[User]):
    """A person of ``role`` (a bidder unless told); court staff need ``court``."""

    class Meta:
        model = User

    role = Role.BIDDER
    court: Any = None
    username = factory.LazyAttributeSequence(lambda o, n: f"{o.role}{n}")
    display_name = factory.LazyAttributeSequence(lambda o, n: f"{o.role}-{n}")
    phone = "13900000000"
    password = Password(PASSWORD)


class JudgeFactory(UserFactory):
    role = Role.JUDGE
    court = factory.SubFactory(CourtFactory)


class OfficerFactory(UserFactory):
    role = Role.OFFICER
    court = factory.SubFactory(CourtFactory)


class BureauHeadFactory(UserFactory):
    role = Role.BUREAU_HEAD
    court = factory.SubFactory(CourtFactory)


class FinanceFactory(UserFactory):
    role = Role.FINANCE
    court = factory.SubFactory(CourtFactory)


class BidderFactory(UserFactory):
    role = Role.BIDDER


class PartyUserFactory(UserFactory):
    role = Role.PARTY


class AppraiserUserFactory(UserFactory):
    role = Role.APPRAISER


class OperatorFactory(UserFactory):
    """The platform operator (平台运营人员): a superuser of the Django admin."""

    role = Role.OPERATOR
    is_staff = True
    is_superuser = True


class IdentityFactory(DjangoModelFactory[Identity]):
    """A real-name identity, verified now unless ``verified=False``."""

    class Meta:
        model = Identity

    class Params:
        verified = True

    kind = Identity.Kind.RESIDENT_ID
    number = factory.Sequence(lambda n: f"3601021990{n:08d}")
    name = factory.Sequence(lambda n: f"竞买人{n}")
    user = None
    status = factory.LazyAttribute(
        lambda o: Identity.Status.VERIFIED if o.verified else Identity.Status.UNVERIFIED
    )
    verified_at = factory.LazyAttribute(lambda o: clock.now() if o.verified else None)


class CaseFactory(DjangoModelFactory[Case]):
    """An enforcement case; its number is ``（2026）<court code>执<n>号``.

    ``with_parties=True`` also makes a creditor and a debtor (persons, without accounts).
    """

    class Meta:
        model = Case
        skip_postgeneration_save = True

    class Params:
        with_parties = factory.Trait(
            creditor=factory.RelatedFactory(
                "tests.factories.CreditorFactory", factory_related_name="case"
            ),
            debtor=factory.RelatedFactory(
                "tests.factories.DebtorFactory", factory_related_name="case"
            ),
        )

    court = factory.SubFactory(CourtFactory)
    year = 2026
    court_code = factory.LazyAttribute(lambda o: o.court.code)
    case_type = "执"
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(
        lambda o: f"（{o.year}）{o.court_code}{o.case_type}{o.sequence}号"
    )
    title = "借款合同纠纷"
    judge = None
    officer = None
    claim_fen = 500_000_00
    filed_on = dt.date(2026, 1, 5)
    created_at = factory.LazyFunction(_now)


class PartyFactory(DjangoModelFactory[Party]):
    class Meta:
        model = Party

    case = factory.SubFactory(CaseFactory)
    role = Party.Role.CREDITOR
    kind = Party.Kind.PERSON
    name: Any = factory.Sequence(lambda n: f"当事人{n}")
    user = None


class CreditorFactory(PartyFactory):
    role = Party.Role.CREDITOR
    name = "申请执行人"


class DebtorFactory(PartyFactory):
    role = Party.Role.DEBTOR
    name = "被执行人"


class AssetFactory(DjangoModelFactory[Asset]):
    class Meta:
        model = Asset

    case = factory.SubFactory(CaseFactory)
    kind = Asset.Kind.RESIDENTIAL
    name = factory.Sequence(lambda n: f"示例标的{n}")
    division_code = "360102"
    address = "南昌市东湖区示例路1号"
    features = factory.LazyFunction(dict)
    purchase_restricted = False
    created_at = factory.LazyFunction(_now)


class LotFactory(DjangoModelFactory[Lot]):
    """A lot of ``case``; ``assets=[...]`` puts those assets in it (none unless given)."""

    class Meta:
        model = Lot
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory)
    title = factory.Sequence(lambda n: f"示例拍品{n}")
    created_at = factory.LazyFunction(_now)

    @factory.post_generation
    def assets(obj: Lot, create: bool, extracted: list[Asset] | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.assets.set(extracted)


class SeizureFactory(DjangoModelFactory[Seizure]):
    class Meta:
        model = Seizure

    asset = factory.SubFactory(AssetFactory)
    kind = Seizure.Kind.SEAL
    seized_on = dt.date(2026, 3, 2)
    document = "（2026）执保1号"
    recorded_by = None
    recorded_at = factory.LazyFunction(_now)


def _snapshot(o: Any) -> dict[str, Any]:
    snap = settings_snapshot(court=o.court)
    snap.update(o.overrides or {})
    return snap


class AuctionFactory(DjangoModelFactory[Auction]):
    """A published auction of ``lot`` (publication itself is bidding's, tested there), with a
    real settings snapshot of its court plus ``overrides``, as a published auction carries.

    Params: ``starts_in`` (from now; negative: started already), ``hours`` (length),
    ``published_ago``, ``overrides`` (rule settings for this auction), ``practice`` (a 模拟拍
    outside any case, owned by ``practice_owner``).
    """

    class Meta:
        model = Auction

    class Params:
        now = factory.LazyFunction(_now)
        starts_in = dt.timedelta(hours=-1)
        hours = 24
        published_ago = dt.timedelta(days=30)
        overrides: dict[str, Any] | None = None
        practice = False

    lot = factory.Maybe("practice", None, factory.SubFactory(LotFactory))
    case = factory.LazyAttribute(lambda o: o.lot.case if o.lot is not None else None)
    court = factory.LazyAttribute(lambda o: o.case.court if o.case is not None else None)
    title = "测试拍卖"
    round = "1"
    state = AuctionState.BIDDING
    is_practice = factory.SelfAttribute("practice")
    practice_owner = None
    starting_price_fen = 100_000 * YUAN
    increment_fen = 1_000 * YUAN
    deposit_fen = 10_000 * YUAN
    balance_period_days = 30
    start_at = factory.LazyAttribute(lambda o: o.now + o.starts_in)
    end_at = factory.LazyAttribute(lambda o: o.start_at + dt.timedelta(hours=o.hours))
    scheduled_end_at = factory.SelfAttribute("end_at")
    created_at = factory.SelfAttribute("now")
    published_at = factory.LazyAttribute(lambda o: o.now - o.published_ago)
    setting_overrides = factory.LazyAttribute(lambda o: dict(o.overrides or {}))
    settings_snapshot = factory.LazyAttribute(_snapshot)
