from importlib import import_module
from types import ModuleType

from django.apps import AppConfig
from django.conf import settings
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_save

        from core import (
            nav,
            permissions,  # noqa: F401  (registers core predicates)
        )
        from core.models import Role
        from core.validation import guard_model_input

        nav.register(
            _("平台运营"),
            "core:operator_courts",
            roles=[Role.OPERATOR],
            order=5,
            description=_("开通法院、工作人员和评估机构人员，发放启用链接"),
        )
        nav.register(
            _("注册"),
            "core:signup",
            roles=["anonymous"],
            order=1,
            description=_("竞买人、案件当事人用手机号或邮箱注册，参加司法拍卖"),
        )
        from core import warmup

        warmup.register(warmup.load_views_and_templates)
        from core.audit import register_action_labels
        from core.documents import documents_issue_pending, service_proof
        from core.documents import rules as document_rules  # noqa: F401  (core.read_document)
        from core.worker import register_task

        register_action_labels(
            {
                "document.issued": _("出具文书"),
                "document.corrected": _("更正文书"),
                "document.requeued": _("重新排队出具"),
            }
        )
        # Documents queued by the apps' event handlers are rendered and sealed here, never
        # on the request (or bid) that produced them.
        register_task("core.documents", documents_issue_pending, every=2.0)
        # 公告送达证明 once a publication's deemed-service time has passed (REC-10).
        register_task(
            "core.deemed_service_documents", service_proof.deemed_service_documents_due, every=60.0
        )
        service_proof.connect()

        post_migrate.connect(_after_migrate, sender=self)
        # Every save of every model: text and numbers fit their columns (issue 15).
        pre_save.connect(guard_model_input, dispatch_uid="core.validation.guard_model_input")


def _after_migrate(using: str = "default", **kwargs: object) -> None:
    """After every ``migrate``: the TRUNCATE guards on append-only tables and the audit heads,
    and the application role's grants on new tables when migrations run as the owner."""
    from django.db import connections

    from core.dbroles import app_role_from_settings, grant_app_role
    from core.dbutil import guard_truncate

    connection = connections[using]
    guard_truncate(connection)
    app_role = app_role_from_settings()
    if app_role:
        grant_app_role(connection, app_role)


def app_modules(submodule: str) -> list[tuple[str, ModuleType]]:
    """``(app, <app>.<submodule>)`` for each Gavel app that has that module, in layer order.

    The apps are ``settings.GAVEL_APPS`` (the one list); the optional modules are ``urls``
    (pages), ``api`` (a django-ninja ``router``), ``routing`` (``websocket_urlpatterns``) and
    ``demo`` (``seed(ctx)``). A missing module is skipped; an import error inside one is not.
    """
    found: list[tuple[str, ModuleType]] = []
    for app in settings.GAVEL_APPS:
        if module_has_submodule(import_module(app), submodule):
            found.append((app, import_module(f"{app}.{submodule}")))
    return found
