"""Judges' pages: the appraisal requests of their court, the draw, the commission timeline, review,
extensions, objections and expert review, the fixed result and fees."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from appraisers import services
from appraisers.models import (
    AgreementSubmission,
    AppraisalFee,
    AppraisalRequest,
    Commission,
    ExtensionRequest,
    LotDraw,
    Objection,
    RankedFirm,
    ReviewRequest,
)
from appraisers.selectors import action_label, is_staff_of, requests_for_court
from appraisers.services.commission import objection_windows, report_checks, result_fix_blockers
from appraisers.services.objections import answer_due_at, expert_review_allowed
from appraisers.services.selection import agreeing_parties, draw_candidates
from appraisers.views._util import forbidden, guarded, parse_dt, posted_pk, run
from cases.models import Asset, Party
from core.deadlines import deadlines_for_subject
from core.models import AuditEntry, ServiceRecord
from core.permissions import require
from core.ratelimit import write_rate_limited


@login_required
@guarded
@write_rate_limited("appraisers")
def court_requests(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not getattr(user, "is_court_staff", False):
        return forbidden(request, "仅限法院工作人员")
    if request.method == "POST" and request.POST.get("action") == "create":
        chosen = (request.POST.get("asset") or "").strip()
        asset = (
            Asset.objects.filter(pk=int(chosen), case__court_id=user.court_id).first()
            if chosen.isdigit()
            else None
        )
        if asset is None:
            from django.contrib import messages

            messages.error(request, "请选择本院案件的标的物")
        else:
            require(user, "appraisers.manage_appraisal", asset.case)
            holder: dict = {}

            def _create() -> None:
                holder["req"] = services.commission_request(
                    case_id=asset.case_id,
                    asset_id=asset.pk,
                    procedure_ref=f"court:{uuid.uuid4().hex[:12]}",
                    purpose=request.POST.get("purpose", ""),
                    actor=user,
                )

            if run(request, _create, "已启动委托评估，当事人可在期限内协商选定评估机构"):
                return redirect("appraisers:court_request", pk=holder["req"].pk)
        return redirect("appraisers:court_requests")
    reqs = requests_for_court(user.court_id)
    assets = (
        Asset.objects.filter(case__court_id=user.court_id)
        .select_related("case")
        .order_by("-pk")[:200]
    )
    return render(request, "appraisers/court_requests.html", {"requests": reqs, "assets": assets})


def _commission_view(c: Commission) -> dict:
    report = c.current_report()
    return {
        "c": c,
        "report": report,
        "reports": list(c.reports.order_by("-version")),
        "checks": report_checks(report) if report else [],
        "reviews": list(c.reviews.order_by("-requested_at")),
        "extensions": list(c.extensions.order_by("-requested_at")),
        "objections": [
            {"o": o, "answer_due": answer_due_at(o), "expert_allowed": expert_review_allowed(o)}
            for o in c.objections.select_related("party").order_by("-filed_at")
        ],
        "services": list(ServiceRecord.objects.filter(subject=c.subject).order_by("-sent_at")),
        "windows": objection_windows(c) if c.state in ("served", "final") else [],
        "blockers": result_fix_blockers(c) if c.state == "served" else [],
        "deadlines": list(deadlines_for_subject(c.subject)),
        "fee": getattr(c, "fee", None),
    }


@login_required
@guarded
@write_rate_limited("appraisers")
def court_request(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_object_or_404(AppraisalRequest.objects.select_related("case", "asset"), pk=pk)
    user = request.user
    if not is_staff_of(user, req.court_id):
        return forbidden(request, "仅限本院工作人员")
    if request.method == "POST":
        _court_action(request, req)
        return redirect("appraisers:court_request", pk=req.pk)
    services.agreement_refresh(request=req)
    req.refresh_from_db()
    candidates = None
    if req.status == AppraisalRequest.Status.DRAW:
        level, code, basis, eligible, excluded = draw_candidates(req)
        candidates = {
            "level": level,
            "code": code,
            "basis": basis,
            "eligible": eligible,
            "excluded": excluded,
        }
    subs = {s.party_id: s for s in AgreementSubmission.objects.filter(request=req, round=req.round)}
    timeline = AuditEntry.objects.filter(
        stream=f"case:{req.case_id}", subject__startswith=req.subject
    ).order_by("seq")
    ctx = {
        "req": req,
        "can_manage": user.has_perm("appraisers.manage_appraisal", req),
        "can_pay": user.has_perm("appraisers.record_fee_payment", req),
        "parties": [(p, subs.get(p.pk)) for p in agreeing_parties(req.case)],
        "all_parties": list(req.case.parties.order_by("pk")),
        "draws": list(req.draws.order_by("-pk")),
        "ranked": list(
            RankedFirm.objects.filter(request=req).select_related("firm").order_by("round", "rank")
        ),
        "commissions": [
            _commission_view(c) for c in req.commissions.select_related("firm").order_by("-pk")
        ],
        "candidates": candidates,
        "fees": list(req.fees.select_related("firm")),
        "timeline": [(e, action_label(e.action)) for e in timeline],
        "grounds": ReviewRequest.Ground.choices,
    }
    return render(request, "appraisers/court_request.html", ctx)


def _court_action(request: HttpRequest, req: AppraisalRequest) -> None:
    user = request.user
    P = request.POST
    action = P.get("action", "")
    if action == "mark_fee_paid":
        fee = get_object_or_404(AppraisalFee, pk=posted_pk(P, "fee"), request=req)
        require(user, "appraisers.record_fee_payment", req)
        run(
            request,
            lambda: services.appraisal_fee_mark_paid(
                fee=fee, payment_reference=P.get("reference", ""), actor=user
            ),
            "已登记支付",
        )
        return
    require(user, "appraisers.manage_appraisal", req)

    def commission() -> Commission:
        return get_object_or_404(Commission, pk=posted_pk(P, "commission"), request=req)

    def objection() -> Objection:
        return get_object_or_404(Objection, pk=posted_pk(P, "objection"), commission__request=req)

    def draw() -> LotDraw:
        return get_object_or_404(LotDraw, pk=posted_pk(P, "draw"), request=req)

    if action == "set_deadline":
        run(
            request,
            lambda: services.agreement_deadline_set(
                request=req, deadline=parse_dt(P.get("deadline"), "协商期限"), actor=user
            ),
            "已设定协商期限",
        )
    elif action == "skip_agreement":
        run(
            request,
            lambda: services.agreement_skip(request=req, reason=P.get("reason", ""), actor=user),
            "已转入摇号",
        )
    elif action == "schedule_draw":
        exclusions = {}
        for key, value in P.items():
            if key.startswith("exclude_") and value.strip():
                exclusions[int(key.removeprefix("exclude_"))] = value.strip()
        seed_mode = P.get("seed_mode", "")

        def _schedule() -> None:
            services.draw_schedule(
                request=req,
                scheduled_at=parse_dt(P.get("scheduled_at"), "摇号时间"),
                seed_mode=seed_mode,
                commit_deadline=parse_dt(P.get("commit_deadline"), "承诺截止时间")
                if seed_mode == "commit_reveal"
                else None,
                court_exclusions=exclusions,
                actor=user,
            )

        run(request, _schedule, "名单已冻结公布，已通知当事人摇号时间")
    elif action == "public_value":
        d = draw()
        run(
            request,
            lambda: services.draw_public_value_set(
                draw=d,
                value=P.get("value", ""),
                source=P.get("source", ""),
                fixed_at=parse_dt(P.get("fixed_at"), "公开随机值产生时间"),
                actor=user,
            ),
            "已记录公开随机值",
        )
    elif action == "run_draw":
        d = draw()
        run(request, lambda: services.draw_run(draw=d, actor=user), "摇号完成，已委托第一顺位机构")
    elif action == "cancel_draw":
        d = draw()
        run(
            request,
            lambda: services.draw_cancel(draw=d, reason=P.get("reason", ""), actor=user),
            "已取消摇号",
        )
    elif action == "decide_extension":
        ext = get_object_or_404(
            ExtensionRequest, pk=posted_pk(P, "extension"), commission__request=req
        )
        approve = P.get("decision") == "approve"
        run(
            request,
            lambda: services.extension_decide(
                extension=ext, approve=approve, reason=P.get("reason", ""), actor=user
            ),
            "已准许延期" if approve else "已决定不予准许",
        )
    elif action == "review":
        c = commission()
        grounds = P.getlist("grounds")
        run(
            request,
            lambda: services.report_review(
                commission=c, grounds=grounds, note=P.get("note", ""), actor=user
            ),
            "已要求机构说明或补正" if grounds else "审查通过，报告已送达当事人",
        )
    elif action == "pause":
        c = commission()
        run(
            request,
            lambda: services.commission_pause(commission=c, reason=P.get("reason", ""), actor=user),
            "评估期限已中止计算",
        )
    elif action == "resume":
        c = commission()
        run(
            request,
            lambda: services.commission_resume(commission=c, actor=user),
            "评估期限已恢复计算",
        )
    elif action == "mark_late":
        c = commission()
        run(
            request,
            lambda: services.commission_mark_late(commission=c, actor=user),
            "已更换逾期机构",
        )
    elif action == "record_receipt":
        rec = get_object_or_404(
            ServiceRecord, pk=posted_pk(P, "record"), subject__startswith=req.subject
        )
        run(
            request,
            lambda: services.report_service_receipt(
                record=rec,
                received_at=parse_dt(P.get("received_at"), "签收时间"),
                proof=P.get("proof", ""),
                actor=user,
            ),
            "已登记签收",
        )
    elif action == "publish_service":
        c = commission()
        party = get_object_or_404(Party, pk=posted_pk(P, "party"), case_id=req.case_id)
        run(
            request,
            lambda: services.report_service_publish(
                commission=c, party=party, reason=P.get("reason", ""), actor=user
            ),
            "已公示送达，满15日视为送达",
        )
    elif action == "forward":
        o = objection()
        run(request, lambda: services.objection_forward(objection=o, actor=user), "已转交评估机构")
    elif action == "decide_procedural":
        o = objection()
        upheld = P.get("decision") == "upheld"
        run(
            request,
            lambda: services.objection_decide_procedural(
                objection=o, upheld=upheld, reason=P.get("reason", ""), actor=user
            ),
            "已作出审查决定",
        )
    elif action == "respond_for_objector":
        o = objection()
        satisfied = P.get("satisfied") == "yes"
        run(
            request,
            lambda: services.objection_respond(objection=o, satisfied=satisfied, actor=user),
            "已记录异议人意见",
        )
    elif action == "expert_start":
        o = objection()
        run(
            request,
            lambda: services.expert_review_start(
                objection=o,
                body=P.get("body", ""),
                due_at=parse_dt(P.get("due_at"), "评审期限"),
                actor=user,
            ),
            "已组织专业技术评审",
        )
    elif action == "expert_conclude":
        o = objection()
        negative = P.get("negative") == "yes"
        run(
            request,
            lambda: services.expert_review_conclude(
                objection=o, conclusion=P.get("conclusion", ""), negative=negative, actor=user
            ),
            "已记录评审意见",
        )
    elif action == "new_appraisal":
        o = objection()
        run(
            request,
            lambda: services.objection_new_appraisal(
                objection=o, reason=P.get("reason", ""), actor=user
            ),
            "已决定重新评估，委托下一顺位机构",
        )
    elif action == "fix_result":
        c = commission()
        run(
            request,
            lambda: services.result_fix(commission=c, actor=user),
            "评估结果已确定并通知定价程序",
        )
    elif action == "fail":
        run(
            request,
            lambda: services.request_fail(request=req, reason=P.get("reason", ""), actor=user),
            "已终结委托评估",
        )
