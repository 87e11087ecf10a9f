"""Every model with a protected django-fsm-2 state field refreshes safely across threads."""

from __future__ import annotations

from django.apps import apps
from django_fsm import FSMFieldMixin

from core.fsm import ProtectedStateModel


def test_every_protected_state_model_uses_the_thread_safe_refresh() -> None:
    protected = {
        model._meta.label
        for model in apps.get_models()
        if any(isinstance(f, FSMFieldMixin) and f.protected for f in model._meta.concrete_fields)
    }
    assert protected >= {"pricing.PricingProcedure", "settlement.Payout"}
    unsafe = {
        label for label in protected if not issubclass(apps.get_model(label), ProtectedStateModel)
    }
    assert unsafe == set()
