"""Pages: the judge's pricing page per asset, the parties' page, the platform roster, the models.

Thin: check the permission, then one row of an action table (``core.court_actions``) parses
the form, calls one service and shows its message in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from cases.models import Asset, Party
from core import clock
from core.court_actions import CourtAction, CourtActions, Submitted, by_ref, naming, ref_text
from core.errors import PermissionDenied
from core.forms import (
    FlagField,
    Form,
    LocalDateTimeField,
    ObjectField,
    TextField,
    ValuesField,
    YuanField,
)
from core.permissions import can, is_court_staff, require
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest
from pricing import selectors, services
from pricing.models import (
    Inquiry,
    InquiryPlatform,
    InquiryReport,
    InquiryRequest,
    Objection,
    PlatformLateness,
    PricingProcedure,
    ValuationModel,
    ValuationTrainingRun,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from pricing.services.procedure import (
    CHECK_TOPICS,
    SKIP_GROUNDS,
    SUSPEND_GROUNDS,
    WITHDRAW_GROUNDS_MAY,
    WITHDRAW_GROUNDS_MUST,
)


def _forbidden(request: HttpRequest, why: StrOrPromise) -> HttpResponse:
    return render(request, "pricing/forbidden.html", {"why": why}, status=403)


# --------------------------------------------------------------------------- forms
NOT_OURS = _("对象不存在或不属于本程序")


def _inquiries(proc: PricingProcedure) -> QuerySet[Inquiry]:
    return Inquiry.objects.filter(procedure=proc)


def _reports(proc: PricingProcedure) -> QuerySet[InquiryReport]:
    return InquiryReport.objects.filter(request__inquiry__procedure=proc)


def _parties(proc: PricingProcedure) -> QuerySet[Party]:
    return Party.objects.filter(case_id=proc.case_id)


class NoteForm(Form):
    note = TextField()


class GroundNoteForm(NoteForm):
    ground = TextField()


class JointForm(Form):
    joint_request = FlagField()


class ChecksForm(Form):
    """PRC-02: one text per topic of ``CHECK_TOPICS``, and the four circumstances."""

    has_tax_base_or_gov_price = FlagField()
    online_feasible = FlagField()
    needs_site_inspection = FlagField()
    law_requires_appraisal = FlagField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in CHECK_TOPICS.items():
            self.fields[key] = TextField(label=label)

    def clean(self) -> dict[str, Any]:
        data = dict(super().clean() or {})
        return {"checks": {k: data.pop(k, "") for k in CHECK_TOPICS}, **data}


class AgreementDeadlineForm(Form):
    deadline_at = LocalDateTimeField(label=_("议价期限"))


class PartyQuoteForm(Form):
    """A quote, or a refusal to bargain (no amount then)."""

    without_amount: tuple[str, ...] = ("refused",)

    kind = TextField()
    amount_yuan = YuanField(label=_("报价"), required=False)

    def clean(self) -> dict[str, Any]:
        data = dict(super().clean() or {})
        if data.get("kind") in self.without_amount:
            self.errors.pop("amount_yuan", None)  # whatever was typed there is not read
        elif data.get("amount_yuan") is None and "amount_yuan" not in self.errors:
            self.add_error("amount_yuan", self.fields["amount_yuan"].error_messages["required"])
        return data


class QuoteForm(PartyQuoteForm):
    """The court records a party's quote, refusal, or that the party cannot be reached."""

    without_amount = ("refused", "unreachable")

    party = ObjectField(_parties, not_found=NOT_OURS)


class AgreementConfirmForm(NoteForm):
    harms_no_one = FlagField()


class DirectedForm(JointForm):
    body_name = TextField()
    letter_ref = TextField()
    deadline_at = LocalDateTimeField(label=_("询价期限"))


class DirectedResultForm(Form):
    amount_yuan = YuanField(label=_("询价结果"))


class OnlineForm(JointForm):
    purpose = TextField()
    fee_yuan = YuanField(label=_("询价费"), required=False)


class SkipForm(GroundNoteForm):
    amount_yuan = YuanField(label=_("市场价"))


class InquiryForm(Form):
    inquiry = ObjectField(_inquiries, not_found=NOT_OURS)


class CorrectionsForm(InquiryForm, NoteForm):
    pass


class ReviewForm(NoteForm):
    report = ObjectField(_reports, not_found=NOT_OURS)
    fact_error = FlagField()


class DeliverOneForm(Form):
    report = ObjectField(_reports, not_found=NOT_OURS)
    party = ObjectField(_parties, not_found=NOT_OURS)
    method = TextField()
    received_at = LocalDateTimeField(label=_("签收时间"), required=False)
    proof = TextField()
    unreachable_reason = TextField()


class ExtensionForm(Form):
    request = ObjectField(
        lambda proc: InquiryRequest.objects.filter(inquiry__procedure=proc), not_found=NOT_OURS
    )
    reason = TextField()


class DecideObjectionForm(Form):
    objection = ObjectField(
        lambda proc: Objection.objects.filter(report__request__inquiry__procedure=proc),
        not_found=NOT_OURS,
    )
    upheld = FlagField(yes="1")
    decision = TextField()


# --------------------------------------------------------------------------- the judge's list
def _procedure_open(s: Submitted[int]) -> PricingProcedure:
    asset: Asset = s.data["asset"]
    require(s.actor, "pricing.run_procedure", asset.case)
    return services.procedure_open(asset=asset, actor=s.actor)


class OpenForm(Form):
    asset = ObjectField(
        lambda court_id: Asset.objects.filter(case__court_id=court_id),
        not_found=_("请选择本院案件的标的物"),
    )


#: The court list's one action; the target is the user's court (its id).
OPEN_ACTIONS: CourtActions[int] = CourtActions(
    {
        "open": CourtAction[int](
            form=OpenForm,
            call=_procedure_open,
            done=naming(
                _("已启动定价程序（PRC-01 期限已完成）"), lambda _s, proc: ref_text(proc.ref)
            ),
            then=lambda _court, proc: reverse("pricing:procedure", args=[proc.pk]),
        )
    },
    page=lambda _court: reverse("pricing:court_list"),
)


@login_required
@write_rate_limited("pricing")
def court_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not can(user, "core.view_court_staff_pages") or user.court_id is None:
        return _forbidden(request, _("仅限法院工作人员"))
    if request.method == "POST":
        return OPEN_ACTIONS.post(request, "open", user.court_id)
    procs = list(selectors.procedures_for_court(user.court_id)[:300])
    priced = {p.asset_id for p in procs if p.state != "withdrawn"}
    unpriced = (
        Asset.objects.filter(case__court_id=user.court_id)
        .exclude(pk__in=priced)
        .select_related("case")
        .order_by("-pk")[:200]
    )
    return render(request, "pricing/court_list.html", {"procedures": procs, "unpriced": unpriced})


# ------------------------------------------------- what each page acts on (the API's lookups)
def _court_of(request: HttpRequest) -> int:
    """The staff member's court (the court list's target)."""
    user = request.user
    if not can(user, "core.view_court_staff_pages") or getattr(user, "court_id", None) is None:
        raise PermissionDenied("forbidden", _("仅限法院工作人员"))
    return int(getattr(user, "court_id", 0))


def _procedure_to_run(request: HttpRequest, pk: int) -> PricingProcedure:
    """A procedure the user runs (the judge's page's target), as that page checks it."""
    proc = get_object_or_404(
        PricingProcedure.objects.select_related("asset", "case", "court"), pk=pk
    )
    if not can(request.user, "pricing.view_procedure", proc):
        raise PermissionDenied("forbidden", _("仅限本院工作人员及本案当事人"))
    if not is_court_staff(request.user) or not can(request.user, "pricing.run_procedure", proc):
        raise PermissionDenied("forbidden", _("仅限本院法官、执行员"))
    return proc


def _party_page_of(request: HttpRequest, pk: int) -> PartyPage:
    """The procedure as the user's party of its case (the party page's target)."""
    proc = get_object_or_404(PricingProcedure.objects.select_related("asset", "case"), pk=pk)
    party = Party.objects.filter(case_id=proc.case_id, user_id=request.user.pk or 0).first()
    if party is None:
        raise PermissionDenied("forbidden", _("仅限本案当事人"))
    return PartyPage(proc=proc, party=party)


def _roster_keeper(request: HttpRequest) -> None:
    """The roster keeper (``pricing.keep_roster``): the roster page's actions have no target."""
    if not can(request.user, "pricing.keep_roster"):
        raise PermissionDenied("forbidden", _("仅限名单库管理人"))


# --------------------------------------------------------------------------- the judge's page
P = CourtAction[PricingProcedure]

#: The judge's actions on a procedure, named by the ``action`` each form of the page posts.
PROCEDURE_ACTIONS: CourtActions[PricingProcedure] = CourtActions(
    {
        "checks": P(
            form=ChecksForm,
            call=lambda s: services.procedure_record_checks(
                procedure=s.target, actor=s.actor, **s.data
            ),
            done=_("核查已记录（PRC-02）"),
        ),
        "party_agreement": P(
            form=AgreementDeadlineForm,
            call=lambda s: services.party_agreement_start(
                procedure=s.target, actor=s.actor, **s.data
            ),
            done=_("已启动当事人议价，已通知当事人"),
        ),
        "quote": P(
            form=QuoteForm,
            call=lambda s: services.party_agreement_quote(
                procedure=s.target,
                party=s.data["party"],
                refused=s.data["kind"] == "refused",
                unreachable=s.data["kind"] == "unreachable",
                amount_fen=None
                if s.data["kind"] in QuoteForm.without_amount
                else s.data["amount_yuan"],
                actor=s.actor,
            ),
            done=lambda s, _r: (
                _("已记录%(party)s的议价意见（PRC-04）") % {"party": s.data["party"].name}
            ),
        ),
        "agreement_confirm": P(
            form=AgreementConfirmForm,
            call=lambda s: services.party_agreement_confirm(
                procedure=s.target, actor=s.actor, **s.data
            ),
            done=_("已处理议价结果"),
        ),
        "directed": P(
            form=DirectedForm,
            call=lambda s: services.directed_inquiry_start(
                procedure=s.target, actor=s.actor, **s.data
            ),
            done=_("已发出定向询价函"),
        ),
        "directed_result": P(
            form=DirectedResultForm,
            call=lambda s: services.directed_inquiry_result(
                procedure=s.target, amount_fen=s.data["amount_yuan"], actor=s.actor
            ),
            done=_("已记录定向询价结果"),
        ),
        "step_lapse": P(
            call=lambda s: services.step_lapse(procedure=s.target, actor=s.actor),
            done=_("已按期限届满处理"),
        ),
        "online": P(
            form=OnlineForm,
            call=lambda s: services.inquiry_send(
                procedure=s.target,
                purpose=s.data["purpose"] or "确定财产处置参考价",
                fee_fen=s.data["fee_yuan"] or 0,
                joint_request=s.data["joint_request"],
                actor=s.actor,
            ),
            done=_("已向名单库全部平台发出询价（PRC-06）"),
        ),
        "appraisal": P(
            form=JointForm,
            call=lambda s: services.appraisal_start(procedure=s.target, actor=s.actor, **s.data),
            done=_("已委托评估"),
        ),
        "skip": P(
            form=SkipForm,
            call=lambda s: services.pricing_skip(
                asset=s.target.asset,
                ground=s.data["ground"],
                market_price_fen=s.data["amount_yuan"],
                note=s.data["note"],
                actor=s.actor,
            ),
            done=_("已记录不经定价（PRC-19）"),
        ),
        "suspend": P(
            form=GroundNoteForm,
            call=lambda s: services.procedure_suspend(procedure=s.target, actor=s.actor, **s.data),
            done=_("已暂缓定价（PRC-14）"),
        ),
        "resume": P(
            form=NoteForm,
            call=lambda s: services.procedure_resume(procedure=s.target, actor=s.actor, **s.data),
            done=_("已恢复定价"),
        ),
        "withdraw": P(
            form=GroundNoteForm,
            call=lambda s: services.procedure_withdraw(procedure=s.target, actor=s.actor, **s.data),
            done=_("已撤回定价（PRC-14）"),
        ),
        "reissue": P(
            call=lambda s: services.reference_price_reissue(procedure=s.target, actor=s.actor),
            done=_("已要求重新出具（PRC-12）"),
        ),
        "dispatch": P(
            form=InquiryForm,
            call=lambda s: services.inquiry_dispatch(**s.data),
            done=_("已向平台查询报告"),
        ),
        "close_window": P(
            form=InquiryForm,
            call=lambda s: services.inquiry_close_window(actor=s.actor, **s.data),
            done=_("已结算报告期限（PRC-07）"),
        ),
        "review": P(
            form=ReviewForm,
            call=lambda s: services.report_review(actor=s.actor, **s.data),
            done=_("已记录审查意见"),
        ),
        "corrections": P(
            form=CorrectionsForm,
            call=lambda s: services.inquiry_request_corrections(actor=s.actor, **s.data),
            done=_("已要求全部平台补正（PRC-08）"),
        ),
        "deliver": P(
            form=InquiryForm,
            call=lambda s: services.inquiry_deliver_electronic(actor=s.actor, **s.data),
            done=_("已电子送达有账号的当事人（PRC-10）"),
        ),
        "deliver_one": P(
            form=DeliverOneForm,
            call=lambda s: services.report_deliver(actor=s.actor, **s.data),
            done=_("已记录送达"),
        ),
        "extension": P(
            form=ExtensionForm,
            call=lambda s: services.inquiry_request_extension(actor=s.actor, **s.data),
            done=_("已登记平台延期申请（PRC-07）"),
        ),
        "decide_objection": P(
            form=DecideObjectionForm,
            call=lambda s: services.objection_decide(actor=s.actor, **s.data),
            done=_("已处理异议（APR-15）"),
        ),
        "fix": P(
            form=InquiryForm,
            call=lambda s: services.inquiry_fix(actor=s.actor, **s.data),
            done=_("参考价已确定（PRC-09）"),
        ),
    },
    page=lambda proc: reverse("pricing:procedure", args=[proc.pk]),
    subject=by_ref(lambda proc: proc.ref),
)


@login_required
@write_rate_limited("pricing")
def procedure_page(request: AuthedRequest, pk: int) -> HttpResponse:
    proc = get_object_or_404(
        PricingProcedure.objects.select_related("asset", "case", "court"), pk=pk
    )
    user = request.user
    if not can(user, "pricing.view_procedure", proc):
        return _forbidden(request, _("仅限本院工作人员及本案当事人"))
    if not is_court_staff(user):
        return redirect("pricing:party", pk=proc.pk)
    if request.method == "POST":
        if not can(user, "pricing.run_procedure", proc):
            return _forbidden(request, _("仅限本院法官、执行员"))
        return PROCEDURE_ACTIONS.post(request, request.POST.get("action", ""), proc)
    proc.refresh_from_db()
    inquiries = [selectors.inquiry_view(i) for i in proc.inquiries.order_by("-sent_at")]
    steps = list(proc.steps.order_by("started_at", "pk"))
    current = steps[-1] if steps else None
    parties = list(Party.objects.filter(case_id=proc.case_id).order_by("pk"))
    quotes = []
    if current is not None and current.method == "party_agreement":
        quotes = [
            (p, current.quotes.get(f"party:{p.pk}"))
            for p in parties
            if p.role in ("creditor", "debtor")
        ]
    price = selectors.active_price(proc)
    ctx = {
        "proc": proc,
        "steps": steps,
        "current": current,
        "next_steps": selectors.next_steps(proc),
        "inquiries": inquiries,
        "parties": parties,
        "quotes": quotes,
        "price": price,
        "prices": list(proc.prices.order_by("-fixed_at")),
        "deadlines": selectors.procedure_deadlines(proc),
        "check_topics": CHECK_TOPICS,
        # stored in Chinese (the case history matches them), shown in the reader's language
        "skip_grounds": {k: _(v) for k, v in SKIP_GROUNDS.items()},
        "suspend_grounds": {k: _(v) for k, v in SUSPEND_GROUNDS.items()},
        "withdraw_grounds": {
            k: _(v) for k, v in {**WITHDRAW_GROUNDS_MUST, **WITHDRAW_GROUNDS_MAY}.items()
        },
        "objection_grounds": Objection.Ground,
        "can_run": can(user, "pricing.run_procedure", proc),
        "now": clock.now(),
        "charts": [
            rep["chart"]
            for inq in inquiries
            for row in inq["rows"]
            for rep in row["reports"]
            if rep["chart"]
        ],
    }
    return render(request, "pricing/procedure.html", ctx)


# --------------------------------------------------------------------------- parties
@dataclass(frozen=True)
class PartyPage:
    """What a party's page acts on: the procedure, as this party of its case."""

    proc: PricingProcedure
    party: Party


class ObjectForm(Form):
    """APR-12: against one report, or (no report) the procedure's price."""

    report = ObjectField(lambda page: _reports(page.proc), required=False)
    grounds = ValuesField()
    text = TextField()
    fraud_evidence = FlagField()


PARTY_ACTIONS: CourtActions[PartyPage] = CourtActions(
    {
        "object": CourtAction[PartyPage](
            form=ObjectForm,
            call=lambda s: services.objection_file(
                procedure=s.target.proc if s.data["report"] is None else None,
                party=s.target.party,
                actor=s.actor,
                **s.data,
            ),
            done=_("异议已提交，法院将依法处理"),
        ),
        "quote": CourtAction[PartyPage](
            form=PartyQuoteForm,
            call=lambda s: services.party_agreement_quote(
                procedure=s.target.proc,
                party=s.target.party,
                refused=s.data["kind"] == "refused",
                amount_fen=None if s.data["kind"] == "refused" else s.data["amount_yuan"],
                actor=s.actor,
            ),
            done=_("您的议价意见已提交（PRC-04）"),
        ),
    },
    page=lambda page: reverse("pricing:party", args=[page.proc.pk]),
    subject=by_ref(lambda page: page.proc.ref),
)


@login_required
def party_list(request: AuthedRequest) -> HttpResponse:
    parties = Party.objects.filter(user=request.user)
    procs = PricingProcedure.objects.filter(case_id__in=parties.values("case_id")).select_related(
        "asset", "case"
    )
    return render(request, "pricing/party_list.html", {"procedures": procs.order_by("-opened_at")})


@login_required
@write_rate_limited("pricing")
def party_page(request: AuthedRequest, pk: int) -> HttpResponse:
    proc = get_object_or_404(PricingProcedure.objects.select_related("asset", "case"), pk=pk)
    party = Party.objects.filter(case_id=proc.case_id, user=request.user).first()
    if party is None:
        if can(request.user, "pricing.view_procedure", proc):
            return redirect("pricing:procedure", pk=proc.pk)
        return _forbidden(request, _("仅限本案当事人"))
    if request.method == "POST":
        page = PartyPage(proc=proc, party=party)
        return PARTY_ACTIONS.post(request, request.POST.get("action", ""), page)
    step = proc.steps.order_by("-started_at", "-pk").first()
    ctx = {
        "proc": proc,
        "party": party,
        "price": selectors.active_price(proc),
        "step": step,
        "my_quote": step.quotes.get(f"party:{party.pk}")
        if step and step.method == "party_agreement"
        else None,
        "objection_grounds": Objection.Ground,
        **selectors.party_view(proc, party),
    }
    return render(request, "pricing/party.html", ctx)


# --------------------------------------------------------------------------- roster and models
class RemoveForm(Form):
    platform = ObjectField(lambda _: InquiryPlatform.objects.all())
    reason = TextField()


class ExcuseForm(Form):
    lateness = ObjectField(lambda _: PlatformLateness.objects.all())
    excuse = TextField()


class AdmitForm(Form):
    """PRC-18: a platform joins the roster (its adapter speaks HTTP)."""

    code = TextField()
    name = TextField()
    url = TextField()
    secret = TextField()
    kinds = TextField()
    retention_years = forms.IntegerField(required=False)

    def clean(self) -> dict[str, Any]:
        d = dict(super().clean() or {})
        return {
            "code": d.get("code", "").strip(),
            "name": d.get("name", "").strip(),
            "adapter": "http",
            "config": {"url": d.get("url", "").strip()},
            "secret": d.get("secret", ""),
            "price_data_kinds": [
                k for k in d.get("kinds", "").replace("，", ",").split(",") if k.strip()
            ],
            "retention_years": d.get("retention_years") or 0,
        }


class AdmitBuiltinForm(Form):
    """PRC-18: one of our built-in valuation platforms joins the roster (issue 13)."""

    method = TextField()
    name = TextField()
    kinds = TextField()
    retention_years = forms.IntegerField(required=False)

    def clean(self) -> dict[str, Any]:
        d = dict(super().clean() or {})
        return {
            "method": d.get("method", "").strip(),
            "name": d.get("name", "").strip(),
            "price_data_kinds": [
                k for k in d.get("kinds", "").replace("，", ",").split(",") if k.strip()
            ],
            "retention_years": d.get("retention_years") or 0,
        }


class TrainForm(Form):
    """估价模型: train one model per chosen method on a shipped data set (run by the worker)."""

    preset = TextField()
    methods = ValuesField()


class ActivateForm(Form):
    model = ObjectField(lambda _: ValuationModel.objects.all())
    force = FlagField()
    reason = TextField()


def _model_activate(s: Submitted[None]) -> object:
    from pricing.valuation.training import model_activate

    return model_activate(actor=s.actor, **s.data)


def _model_activated(result: Any) -> str:
    """ "已启用 <model>", or why not (the model is named either way)."""
    name = str(result.model)
    if result.activated:
        return _("已启用估价模型：%(model)s") % {"model": name}
    return _("估价模型未启用：%(model)s。%(why)s") % {"model": name, "why": result.message}


def _runs_named(runs: list[ValuationTrainingRun]) -> str:
    """ "梯度提升模型、市场比较法（训练数据 …）": what the keeper asked to train."""
    from pricing.services.training_runs import METHOD_LABELS, shipped_datasets

    if not runs:
        return ""
    methods = "、".join(str(_(METHOD_LABELS.get(r.method, r.method))) for r in runs)
    names = {d.preset: d.dataset for d in shipped_datasets()}
    preset = runs[0].preset
    return str(
        _("%(methods)s（训练数据 %(preset)s）")
        % {"methods": methods, "preset": names.get(preset, preset)}
    )


#: The roster keeper's actions (``pricing.keep_roster``); the models page posts here too.
ROSTER_ACTIONS: CourtActions[None] = CourtActions(
    {
        "remove": CourtAction[None](
            form=RemoveForm,
            call=lambda s: services.platform_remove(actor=s.actor, **s.data),
            done=naming(_("已除名，五年内不得再入库（PRC-18）"), lambda s, p: p.name),
        ),
        "excuse": CourtAction[None](
            form=ExcuseForm,
            call=lambda s: services.lateness_excuse(actor=s.actor, **s.data),
            done=naming(_("已认定有正当理由"), lambda s, late: late.platform.name),
        ),
        "admit": CourtAction[None](
            form=AdmitForm,
            call=lambda s: services.platform_admit(actor=s.actor, **s.data),
            done=naming(_("已入库"), lambda s, p: p.name),
        ),
        "admit_builtin": CourtAction[None](
            form=AdmitBuiltinForm,
            call=lambda s: services.platform_admit_builtin(actor=s.actor, **s.data),
            done=naming(_("内置估价平台已入库"), lambda s, p: p.name),
        ),
        "activate": CourtAction[None](
            form=ActivateForm,
            call=_model_activate,
            done=lambda s, result: _model_activated(result),
        ),
        "train": CourtAction[None](
            form=TrainForm,
            call=lambda s: services.valuation_training_request(actor=s.actor, **s.data),
            done=naming(
                _("已提交训练请求，后台训练完成后本页显示结果（约需一两分钟）"),
                lambda s, runs: _runs_named(runs),
            ),
        ),
    },
    page=lambda _: reverse("pricing:roster"),
)


@login_required
@write_rate_limited("pricing")
def roster(request: AuthedRequest) -> HttpResponse:
    user = request.user
    keeper = can(user, "pricing.keep_roster")
    if request.method == "POST":
        if not keeper:
            return _forbidden(request, _("仅限名单库管理人"))
        ROSTER_ACTIONS.run(request, request.POST.get("action", ""), None)
        nxt = request.POST.get("next") or ""
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            return redirect(nxt)
        return redirect("pricing:roster")
    lates = PlatformLateness.objects.select_related("platform", "request__inquiry").order_by(
        "-due_at"
    )[:100]
    return render(
        request,
        "pricing/roster.html",
        {
            "rows": selectors.roster_rows(),
            "keeper": keeper,
            "lates": lates,
            "builtin_methods": services.METHOD_LABELS,
        },
    )


@login_required
def models_page(request: AuthedRequest) -> HttpResponse:
    if not (
        can(request.user, "core.view_court_staff_pages") or can(request.user, "pricing.keep_roster")
    ):
        return _forbidden(request, _("仅限法院工作人员"))
    datasets = services.shipped_datasets()
    names = {d.preset: d.dataset for d in datasets}
    runs = [
        {
            "r": r,
            "dataset": names.get(r.preset, r.preset),
            "method": services.METHOD_LABELS.get(r.method, r.method),
        }
        for r in ValuationTrainingRun.objects.all()[:20]
    ]
    from pricing.valuation.service import index_chart, model_notes

    models = list(ValuationModel.objects.order_by("asset_class", "method", "-version"))
    # the price index of each active model (PRC-09: its sales are brought to the valuation
    # date by it), as the judge sees it
    indexes = []
    for m in models:
        if m.is_active:
            chart = index_chart(m)
            if chart is not None:
                indexes.append(
                    {
                        "model": m,
                        "chart": chart,
                        "chart_id": f"index-{m.pk}",
                        "notes": model_notes(m.metrics or {}),
                    }
                )
    return render(
        request,
        "pricing/models.html",
        {
            "models": models,
            "indexes": indexes,
            "keeper": can(request.user, "pricing.keep_roster"),
            "datasets": datasets,
            "methods": services.METHOD_LABELS,
            "runs": runs,
        },
    )
