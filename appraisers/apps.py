from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # models load after the app registry: imported where used
    from django.db.models import QuerySet

    from appraisers.models import AppraisalRequest
    from cases.models import Case


class AppraisersConfig(AppConfig):
    name = "appraisers"
    verbose_name = _("评估机构")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from core.deadlines import register_start_events

        register_start_events(
            {
                "appraisal.requested": pgettext_lazy("start event", "启动委托评估"),
                "commission.offered": pgettext_lazy("start event", "评估委托送达"),
                "commission.resumed": pgettext_lazy("start event", "评估委托恢复"),
                "commission.late": pgettext_lazy("start event", "评估报告逾期"),
                "report.received": pgettext_lazy("start event", "收到评估报告"),
                "review.requested": pgettext_lazy("start event", "要求评估机构说明"),
                "objection.filed": pgettext_lazy("start event", "提出异议"),
                "objection.forwarded": pgettext_lazy("start event", "异议转交评估机构"),
                "objection.upheld": pgettext_lazy("start event", "异议成立"),
                "objection.procedural_rejected": pgettext_lazy("start event", "程序异议驳回"),
                "expert_review.started": pgettext_lazy("start event", "启动专业技术评审"),
                "expert_review.concluded": pgettext_lazy("start event", "专业技术评审结束"),
            }
        )

        from appraisers import handlers, settings_specs  # noqa: F401  (registers settings)

        handlers.connect()
        from core.worker import register_task

        def _sweep() -> dict[str, int]:
            from appraisers.services import appraisers_sweep

            return appraisers_sweep()

        register_task("appraisers.sweep", _sweep, every=60.0)
        from appraisers.models import Report
        from core.files import protect

        protect(Report, "file", "appraisers.read_report")
        _register_navigation()
        from appraisers import documents

        documents.connect()  # issue 16: 评估委托书, 摇号记录


def _requests_of(case: Case) -> QuerySet[AppraisalRequest]:
    from appraisers.models import AppraisalRequest

    return (
        AppraisalRequest.objects.filter(case=case)
        .select_related("asset")
        .prefetch_related("draws")
        .order_by("pk")
    )


def _register_navigation() -> None:
    """The top bar and home page entries, the case pages' appraisal section, and the names
    of this app's actions in a case's history."""
    from appraisers.selectors import ACTION_LABELS
    from cases.portal import register_case_sections
    from core import nav
    from core.audit import register_action_labels
    from core.models import Role

    register_action_labels(ACTION_LABELS)

    staff = {Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD}
    for label, url_name, roles, order, description in (
        (
            _("委托评估"),
            "appraisers:court_requests",
            staff,
            40,
            _("协商选定评估机构、摇号、委托、报告审查与异议"),
        ),
        (
            _("机构工作台"),
            "appraisers:firm_portal",
            {Role.APPRAISER},
            10,
            _("接受委托、现场勘验、提交评估报告、答复异议"),
        ),
        (
            _("我的评估事项"),
            "appraisers:party_requests",
            {Role.PARTY},
            40,
            _("协商选定评估机构、观看摇号、评估报告与异议"),
        ),
        (
            _("评估机构名单库"),
            "appraisers:roster_list",
            {Role.OPERATOR},
            60,
            _("人民法院委托评估机构名单库"),
        ),
    ):
        nav.register(label, url_name, roles=roles, order=order, description=description)
    register_case_sections(
        key="appraisers.requests",
        title=_("委托评估"),
        template="appraisers/sections/case_requests.html",
        order=40,
        context=lambda request, case, staff: {
            "appraisal_requests": _requests_of(case),
            "staff_view": staff,
        },
        visible=lambda request, case, staff: _requests_of(case).exists(),
    )
