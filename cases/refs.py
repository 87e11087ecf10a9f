"""How the cases app's references read (core.refs): case number, asset and lot names."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.punctuation import paren
from core.refs import int_keys, register


def _cases(keys: list[str]) -> dict[str, str]:
    from cases.models import Case

    rows = Case.objects.filter(pk__in=int_keys(keys)).values_list("pk", "number")
    return {str(pk): number for pk, number in rows}


def _named(model_path: str, field: str) -> Callable[[list[str]], dict[str, str]]:
    def label(keys: list[str]) -> dict[str, str]:
        from django.apps import apps

        model = apps.get_model(model_path)
        rows = model.objects.filter(pk__in=int_keys(keys)).values_list("pk", field)
        return {str(pk): str(value) for pk, value in rows}

    return label


def _staff_of_case(user: object, key: str, ids: dict[str, str] | None = None) -> bool:
    from cases.models import Case
    from core.permissions import can

    case = Case.objects.filter(pk=int(key)).first() if key.isdigit() else None
    return case is not None and can(user, "cases.view_case_record", case)


def _seizures(keys: list[str]) -> dict[str, str]:
    from cases.models import Seizure

    return {
        str(s.pk): f"{s.get_kind_display()}{paren(s.document)}"
        for s in Seizure.objects.filter(pk__in=int_keys(keys))
    }


register(
    "case",
    noun=_("案件"),
    label=_cases,
    url=lambda key, ids: reverse("cases:case", args=[int(key)]),
    visible=_staff_of_case,
)
register(
    "asset",
    noun=_("标的物"),
    label=_named("cases.Asset", "name"),
    url=lambda key, ids: (
        reverse("cases:asset", args=[int(ids["case"]), int(key)]) if ids.get("case") else None
    ),
    visible=lambda user, key, ids: _staff_of_case(user, ids.get("case", "")),
)
register("lot", noun=_("拍品"), label=_named("cases.Lot", "title"))
register("party", noun=_("当事人"), label=_named("cases.Party", "name"))
register("seizure", noun=_("查封措施"), label=_seizures)
