"""The site inspection (APR-06): the parties are told when and where, with service records;
a witness attends and absent parties do not stop it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisers.models import Commission
from appraisers.services._common import audit, serve_on_parties
from appraisers.services.commission import _lock, _transition, require_firm_user
from appraisers.services.selection import link
from core import clock
from core.errors import DomainError
from core.notifications import text
from core.types import Actor


@transaction.atomic
def inspection_notice(
    *, commission: Commission, at: dt.datetime, place: str, actor: Actor
) -> Commission:
    """Tell the parties when and where the site inspection is (APR-06), with service records."""
    c = _lock(commission)
    require_firm_user(c, actor)
    if c.state != Commission.State.ACCEPTED:
        raise DomainError("invalid_state", _("接受委托后方可安排现场勘验"), rule="APR-06")
    if at <= clock.now():
        raise DomainError(
            "inspection_in_past", _("勘验时间须晚于当前时间，以便通知当事人"), rule="APR-06"
        )
    if not (place or "").strip():
        raise DomainError("place_required", _("须写明勘验地点"), rule="APR-06")
    c.inspection_at, c.inspection_place = at, place.strip()[:300]
    c.save(update_fields=["inspection_at", "inspection_place"])
    serve_on_parties(
        c.request.case,
        court=c.court,
        subject=c.subject,
        document="现场勘验通知书",
        document_kind="inspection_notice",
        actor=actor,
        topic="appraisal.inspection",
        title=gettext_lazy("现场勘验通知"),
        body=text(
            gettext_lazy(
                "%(case)s：「%(firm)s」将于 %(when)s 在 %(place)s 对标的物进行现场勘验。"
                "当事人可以到场；不到场不影响勘验（APR-06）。"
            ),
            case=c.request.case.number,
            firm=c.firm.name,
            when=at,
            place=c.inspection_place,
        ),
        key=f"commission:{c.pk}:inspection",
        link=link("party_request", c.request_id),
    )
    audit(
        c.request,
        action="commission.inspection_noticed",
        actor=actor,
        subject=c.subject,
        after={"at": at, "place": c.inspection_place},
        rules=["APR-06"],
    )
    return c


@transaction.atomic
def inspection_record(
    *, commission: Commission, witness: str, actor: Actor, attendees: str = "", note: str = ""
) -> Commission:
    """Record the inspection: a witness attends; absent parties do not stop it (APR-06)."""
    c = _lock(commission)
    require_firm_user(c, actor)
    if c.inspection_at is None:
        raise DomainError(
            "inspection_not_noticed", _("须先通知当事人勘验时间和地点"), rule="APR-06"
        )
    if clock.now() < c.inspection_at:
        raise DomainError("inspection_not_yet", _("未到通知的勘验时间"), rule="APR-06")
    if not (witness or "").strip():
        raise DomainError("witness_required", _("现场勘验须有见证人"), rule="APR-06")
    before = _transition(c, "inspect", rule="APR-06")
    c.inspection_witness = witness.strip()[:200]
    c.inspection_attendees = (attendees or "").strip()[:300] or "当事人均未到场"
    c.inspection_note = note or ""
    c.save()
    audit(
        c.request,
        action="commission.inspected",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={
            "state": c.state,
            "witness": c.inspection_witness,
            "attendees": c.inspection_attendees,
        },
        rules=["APR-06"],
    )
    return c
