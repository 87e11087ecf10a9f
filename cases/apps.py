from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from core.deadlines import register_start_events

        register_start_events(
            {"seizure": pgettext_lazy("start event", "查封")}
        )  # seizure:<id>, PRC-01

        from cases.models import AssetFile
        from core.files import protect

        protect(AssetFile, "file", "cases.view_asset_file", public="cases.asset_file_public")
        from core import nav

        _register_documents_section()
        from core.models import Role

        nav.register(
            _("我的案件"),
            "cases:my_cases",
            roles={Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD},
            order=10,
            description=_("案件、当事人、标的物、查封与期限"),
        )
        nav.register(
            _("当事人服务"),
            "cases:portal",
            roles={Role.PARTY},
            order=10,
            description=_("我的案件、送达文书与期限"),
        )
        nav.register(
            _("实名认证"),
            "cases:identity",
            roles={Role.BIDDER, Role.PARTY},
            order=90,
            description=_("竞买报名前须完成实名认证"),
        )


def _case_documents(request: object, case: object, staff: bool) -> object:
    """Issue 16: the case's sealed documents; a party sees the public ones and their own."""
    from django.db.models import Q

    from core.documents import documents_of_stream

    docs = documents_of_stream(f"case:{getattr(case, 'pk', 0)}")
    if staff:
        return docs
    user = getattr(request, "user", None)
    return docs.filter(Q(public=True) | Q(readers=user)).distinct()


def _register_documents_section() -> None:
    from cases.portal import register_case_sections

    register_case_sections(
        key="core.documents",
        title=_("文书"),
        template="cases/_case_documents.html",
        order=90,
        context=lambda request, case, staff: {
            "case_documents": _case_documents(request, case, staff),
            "reissue": staff,  # court staff re-issue a corrected version (the view checks)
        },
        visible=lambda request, case, staff: bool(_case_documents(request, case, staff).exists()),  # type: ignore[attr-defined]
    )
