"""Read queries on cases, parties, identities and assets (views, the API and higher apps use these)."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cases.models import Asset, Case, Disclosure, Identity, Lot, Party, Seizure
from core.errors import NotFound
from core.models import STAFF_ROLES, AuditEntry, Deadline, ServiceRecord, User

#: Whoever looks: a signed-in person, an anonymous visitor (``request.user``), or no one.
Viewer: TypeAlias = User | AnonymousUser | None


def verified_identity_for(user: Viewer) -> Identity | None:
    """The person's verified real-name identity (the latest verified), or None.

    Auction registration requires one (contracts.md).
    """
    if user is None or not user.is_authenticated:
        return None
    return (
        Identity.objects.filter(user=user, status=Identity.Status.VERIFIED)
        .order_by("-verified_at", "-pk")
        .first()
    )


def identities_of(user: User) -> QuerySet[Identity]:
    return Identity.objects.filter(user=user).order_by("-submitted_at", "-pk")


def case_parties(case: Case, role: str | None = None) -> QuerySet[Party]:
    qs = Party.objects.filter(case=case).select_related("identity", "user")
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("role", "pk")


def current_disclosures(asset: Asset) -> dict[str, Disclosure]:
    """The disclosure in force for each topic: the latest one no newer record supersedes."""
    out: dict[str, Disclosure] = {}
    qs = (
        Disclosure.objects.filter(asset=asset, superseded_by__isnull=True)
        .select_related("recorded_by")
        .order_by("topic", "-recorded_at", "-pk")
    )
    for d in qs:
        out.setdefault(d.topic, d)
    return out


def missing_disclosure_topics(asset: Asset) -> list[str]:
    """Topics PRC-02 / AUC-09 require that have no record yet, in the order of ``Topic``."""
    have = set(current_disclosures(asset))
    return [t for t in Disclosure.Topic.values if t not in have]


def disclosure_history(asset: Asset, topic: str | None = None) -> QuerySet[Disclosure]:
    qs = Disclosure.objects.filter(asset=asset).select_related("recorded_by", "supersedes")
    if topic:
        qs = qs.filter(topic=topic)
    return qs.order_by("topic", "-recorded_at", "-pk")


def _party_filter(user: User, prefix: str = "") -> Q:
    """Parties that are this person: linked to the account, or to their verified identity."""
    return Q(**{f"{prefix}user": user}) | Q(
        **{f"{prefix}identity__user": user, f"{prefix}identity__status": Identity.Status.VERIFIED}
    )


def parties_of_user(user: Viewer) -> QuerySet[Party]:
    if user is None or not user.is_authenticated:
        return Party.objects.none()
    return Party.objects.filter(_party_filter(user)).select_related("case", "case__court")


def is_party_to(user: Viewer, case: Case) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Party.objects.filter(_party_filter(user), case=case).exists()


def cases_for_party(user: Viewer) -> QuerySet[Case]:
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(_party_filter(user, "parties__")).distinct().select_related("court")


def cases_for_staff(user: Viewer, *, mine: bool = False) -> QuerySet[Case]:
    """A staff member's court's cases; ``mine``: those they handle (as judge or officer)."""
    if (
        user is None
        or not user.is_authenticated
        or user.role not in STAFF_ROLES
        or not user.court_id
    ):
        return Case.objects.none()
    qs = Case.objects.filter(court_id=user.court_id).select_related("judge", "officer", "court")
    if mine:
        qs = qs.filter(Q(judge=user) | Q(officer=user))
    return qs


def cases_visible_to(user: Viewer) -> QuerySet[Case]:
    """Staff: their court's cases. Others: the cases they are a party to."""
    if user is not None and user.is_authenticated and user.role in STAFF_ROLES:
        return cases_for_staff(user)
    return cases_for_party(user)


def case_get_visible(user: Viewer, case_id: int) -> Case:
    """The case if ``user`` may see it; otherwise 404, so another court's cases stay unseen."""
    case = cases_visible_to(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound("case_not_found", _("未找到该案件或无权查看"))
    return case


def case_assets(case: Case) -> QuerySet[Asset]:
    return (
        Asset.objects.filter(case=case).prefetch_related("seizures", "files", "lots").order_by("pk")
    )


def asset_get(case: Case, asset_id: int) -> Asset:
    asset = Asset.objects.filter(case=case, pk=asset_id).first()
    if asset is None:
        raise NotFound("asset_not_found", _("该案件下没有这个标的物"))
    return asset


def asset_seizures(asset: Asset) -> QuerySet[Seizure]:
    return (
        Seizure.objects.filter(asset=asset)
        .select_related("recorded_by")
        .order_by("-seized_on", "-pk")
    )


def case_lots(case: Case) -> QuerySet[Lot]:
    return Lot.objects.filter(case=case).prefetch_related("assets").order_by("pk")


def case_deadlines(case: Case, *, open_only: bool = False) -> QuerySet[Deadline]:
    """Deadlines of the case and of everything under it (``case:<id>`` and ``case:<id>/…``).

    ``core.deadlines.deadlines_for_subject`` matches by prefix, so ``case:1`` would also match
    ``case:12``: narrow it to the exact case.
    """
    from core.deadlines import deadlines_for_subject

    ref = f"case:{case.pk}"
    qs = deadlines_for_subject(ref).filter(Q(subject=ref) | Q(subject__startswith=ref + "/"))
    if open_only:
        qs = qs.filter(status=Deadline.Status.OPEN)
    return qs


def case_history(case: Case) -> QuerySet[AuditEntry]:
    """The case's audit stream (``case:<id>``), newest first."""
    return (
        AuditEntry.objects.filter(stream=f"case:{case.pk}").select_related("actor").order_by("-seq")
    )


def documents_served_on(user: User) -> QuerySet[ServiceRecord]:
    """Service records (REC-10) addressed to this person or to a party they are."""
    refs = [p.ref for p in parties_of_user(user)]
    return ServiceRecord.objects.filter(
        Q(recipient_user=user) | Q(recipient_ref__in=refs)
    ).order_by("-sent_at")


def deadlines_against(user: User, *, open_only: bool = True) -> QuerySet[Deadline]:
    """Deadlines that run against a party: owned by the person or naming their party ref."""
    refs = [p.ref for p in parties_of_user(user)]
    qs = Deadline.objects.filter(Q(owner=user) | Q(party_ref__in=refs))
    if open_only:
        qs = qs.filter(status=Deadline.Status.OPEN)
    return qs.order_by("due_at")
