"""The periodic sweep (task ``appraisers.sweep``): lapsed agreement windows, case suspensions,
late firms, results ready to fix.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from appraisers.models import AppraisalRequest, Commission, ExtensionRequest
from appraisers.models.commission import WORKING_STATES
from appraisers.services.commission import result_fix_blockers
from appraisers.services.report_deadline import (
    commission_mark_late,
    commission_pause,
    commission_resume,
)
from appraisers.services.result import result_fix
from appraisers.services.selection import agreement_refresh
from cases.models import Case
from core import clock
from core.errors import DomainError

CASE_SUSPENDED_REASON = "案件中止执行（自动）"


def appraisers_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Agreement windows that lapsed, case suspensions, late firms, results ready to fix.

    Safe with several workers: each item is taken with ``skip_locked``.
    """
    now = now or clock.now()
    counts = {"agreement_lapsed": 0, "paused": 0, "resumed": 0, "late": 0, "fixed": 0}
    for pk in AppraisalRequest.objects.filter(
        status=AppraisalRequest.Status.AGREEMENT, agreement_deadline__lt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            req = AppraisalRequest.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if req is not None:
                agreement_refresh(request=req)
                counts["agreement_lapsed"] += 1
    working = Commission.objects.filter(state__in=WORKING_STATES).select_related("request__case")
    for c in working:
        # APR-07 / PRC-14: suspended (中止) or halted (终结) enforcement stops the clock.
        suspended = c.request.case.status in (Case.Status.SUSPENDED, Case.Status.TERMINATED)
        with transaction.atomic():
            locked = Commission.objects.select_for_update(skip_locked=True).filter(pk=c.pk).first()
            if locked is None:
                continue
            if suspended and locked.paused_at is None:
                commission_pause(commission=locked, reason=CASE_SUSPENDED_REASON)
                counts["paused"] += 1
            elif (
                not suspended
                and locked.paused_at is not None
                and locked.pause_reason == CASE_SUSPENDED_REASON
            ):
                commission_resume(commission=locked)
                counts["resumed"] += 1
    late = Commission.objects.filter(
        state__in=WORKING_STATES, paused_at__isnull=True, report_due_at__lt=now
    )
    for pk in late.values_list("pk", flat=True):
        with transaction.atomic():
            locked = Commission.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if (
                locked is None
                or locked.extensions.filter(status=ExtensionRequest.Status.PENDING).exists()
            ):
                continue
            try:
                commission_mark_late(commission=locked)
                counts["late"] += 1
            except DomainError:
                continue
    for pk in Commission.objects.filter(state=Commission.State.SERVED).values_list("pk", flat=True):
        c = Commission.objects.get(pk=pk)
        if result_fix_blockers(c, now=now):
            continue
        with transaction.atomic():
            locked = Commission.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is None:
                continue
            try:
                result_fix(commission=locked)
                counts["fixed"] += 1
            except DomainError:
                continue
    return counts
