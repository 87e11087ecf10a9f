"""A procedure's protected ``state`` reloads safely from many threads at once (issue 15,
item 7): ``GET /pricing/procedures/<id>/`` answered 500 under concurrent requests because
django-fsm-2's ``FSMModelMixin`` switched the shared field's protection off and on around
every ``refresh_from_db`` ("Direct state modification is not allowed")."""

from __future__ import annotations

import pytest
from django.db import connection

from pricing.models import PricingProcedure
from tests.race import together

S = PricingProcedure.State
THREADS = 6
ROUNDS = 40


def _update_state(procedure: PricingProcedure, state: str) -> None:
    """Another request moved the row (the state is never written this way in the app)."""
    PricingProcedure.objects.filter(pk=procedure.pk).update(state=state)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refreshing_from_many_threads_at_once_never_fails(
    procedure: PricingProcedure,
) -> None:
    held = [PricingProcedure.objects.get(pk=procedure.pk) for _ in range(THREADS)]
    _update_state(procedure, S.CHECKED)

    def reader(proc: PricingProcedure) -> list[str]:
        seen = []
        for _ in range(ROUNDS):
            proc.refresh_from_db()
            seen.append(proc.state)
        connection.close()
        return seen

    results = together(*(lambda p=p: reader(p) for p in held), timeout=120)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert results == [[S.CHECKED] * ROUNDS] * THREADS


@pytest.mark.django_db
def test_refresh_loads_the_new_state_and_direct_writes_stay_refused(
    procedure: PricingProcedure,
) -> None:
    assert procedure.state == S.OPENED
    _update_state(procedure, S.CHECKED)
    procedure.refresh_from_db()
    assert procedure.state == S.CHECKED

    _update_state(procedure, S.SUSPENDED)
    procedure.refresh_from_db(fields=["state"])
    assert procedure.state == S.SUSPENDED

    _update_state(procedure, S.CHECKED)
    procedure.refresh_from_db(fields=["ended_reason"])  # the state is left as it was
    assert procedure.state == S.SUSPENDED

    deferred = PricingProcedure.objects.only("pk").get(pk=procedure.pk)
    assert deferred.state == S.CHECKED  # a deferred state loads on first read

    with pytest.raises(AttributeError, match="Direct state modification is not allowed"):
        procedure.state = S.FIXED
    assert PricingProcedure._meta.get_field("state").protected
