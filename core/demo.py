"""Demo data (honest sample data, marked as such): each app adds its own in ``<app>/demo.py``.

``seed()`` runs each app's ``seed(ctx)`` in layer order; ``ctx`` carries what lower apps made
(the court, users, cases…) so higher apps can build on it. Every demo password is printed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.apps import app_modules

DEMO_PASSWORD = "gavel-demo-2026"


def seed_core(ctx: dict[str, Any]) -> None:
    from core.models import CalendarDay, Court, Role, User

    court, _ = Court.objects.get_or_create(
        code="赣0102",
        defaults={
            "name": "南昌市东湖区人民法院（示例）",
            "division_code": "360102",
            "master_account_no": "3601020000000001",
            "master_account_bank": "示例银行南昌东湖支行",
            "master_account_name": "南昌市东湖区人民法院执行款专户（示例）",
            "contact_phone": "0791-00000000",
        },
    )
    ctx["court"] = court
    people = [
        ("judge", Role.JUDGE, "王法官（示例）", court),
        ("officer", Role.OFFICER, "李执行员（示例）", court),
        ("head", Role.BUREAU_HEAD, "赵局长（示例）", court),
        ("finance", Role.FINANCE, "陈会计（示例）", court),
        ("bidder1", Role.BIDDER, "竞买人甲（示例）", None),
        ("bidder2", Role.BIDDER, "竞买人乙（示例）", None),
        ("appraiser", Role.APPRAISER, "评估师（示例）", None),
        ("creditor", Role.PARTY, "申请执行人（示例）", None),
        ("debtor", Role.PARTY, "被执行人（示例）", None),
        ("operator", Role.OPERATOR, "平台运营（示例）", None),
    ]
    users = {}
    for i, (username, role, name, user_court) in enumerate(people):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "court": user_court,
                "display_name": name,
                # Distinct numbers: one shared phone links people (collusion signals, issue 19).
                "phone": f"138000001{i:02d}",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            if username == "operator":
                user.is_staff = True
                user.is_superuser = True
            user.save()
        users[username] = user
    ctx["users"] = users
    # The official calendar (2004–2026) comes with the migrations (core/holidays.py); the
    # 2027 arrangement is not in the package yet: the demo adds New Year's Day as an operator would.
    for day, kind, name in [("2027-01-01", "holiday", "元旦")]:
        CalendarDay.objects.get_or_create(date=day, defaults={"kind": kind, "name": name})


def seed() -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    with transaction.atomic():
        seed_core(ctx)
        for app, mod in app_modules("demo"):
            if app != "core":
                mod.seed(ctx)
    return ctx
