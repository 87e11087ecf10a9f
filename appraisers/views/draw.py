"""The draw pages: watch live (websocket), commit and reveal, verify from the record (public)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from appraisers import services
from appraisers.models import LotDraw
from appraisers.selectors import draw_public_record
from appraisers.services.selection import parties_of_user
from appraisers.services.verification import draw_verify
from appraisers.views._util import guarded, run
from core.errors import PermissionDenied
from core.permissions import require
from core.ratelimit import write_rate_limited


def _participants(draw: LotDraw, user) -> list[tuple[str, str]]:
    """The participant refs this user may commit or reveal for: the court and/or their parties."""
    out = []
    if not getattr(user, "is_authenticated", False):
        return out
    if user.has_perm("appraisers.manage_appraisal", draw.request):
        out.append(("court", "法院"))
    for p in parties_of_user(draw.request.case_id, user):
        out.append((f"party:{p.pk}", f"{p.name}（{p.get_role_display()}）"))
    return out


def draw_live(request: HttpRequest, pk: int) -> HttpResponse:
    """Public: the frozen list, exclusions, commitments, reveals and result, updated live."""
    draw = get_object_or_404(
        LotDraw.objects.select_related("request__case", "request__asset"), pk=pk
    )
    record = draw_public_record(draw)
    mine = {c.participant_ref: c for c in draw.commitments.all()}
    participants = [(ref, label, mine.get(ref)) for ref, label in _participants(draw, request.user)]
    return render(
        request,
        "appraisers/draw_live.html",
        {
            "draw": draw,
            "record": record,
            "participants": participants,
        },
    )


@require_POST
@login_required
@guarded
@write_rate_limited("appraisers")
def draw_participate(request: HttpRequest, pk: int) -> HttpResponse:
    draw = get_object_or_404(LotDraw.objects.select_related("request"), pk=pk)
    require(request.user, "appraisers.take_part_in_draw", draw.request)
    ref = request.POST.get("participant", "")
    if ref not in {r for r, _ in _participants(draw, request.user)}:
        raise PermissionDenied("not_this_participant", "您不能以该参与方身份提交")
    if request.POST.get("action") == "commit":
        run(
            request,
            lambda: services.draw_commit(
                draw=draw,
                participant_ref=ref,
                commitment=request.POST.get("commitment", ""),
                actor=request.user,
            ),
            "承诺值已提交。请妥善保存您的随机串，承诺截止后揭示。",
        )
    elif request.POST.get("action") == "reveal":
        run(
            request,
            lambda: services.draw_reveal(
                draw=draw,
                participant_ref=ref,
                secret=request.POST.get("secret", ""),
                actor=request.user,
            ),
            "随机串已揭示并与承诺值核对一致",
        )
    return redirect("appraisers:draw_live", pk=pk)


def draw_verify_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Public: recompute the ranking from the record and compare with the audit trail."""
    draw = get_object_or_404(
        LotDraw.objects.select_related("request__case", "request__asset"), pk=pk
    )
    result = draw_verify(draw)
    names = {e["id"]: e["name"] for e in (draw.frozen_list or [])}
    return render(
        request,
        "appraisers/draw_verify.html",
        {
            "draw": draw,
            "result": result,
            "record": result["record"],
            "recomputed": [(i, names.get(i, i)) for i in result["ranking"]],
        },
    )


def draw_record_json(request: HttpRequest, pk: int) -> JsonResponse:
    """Public: the record to re-run with ``python draw_algorithm.py record.json``."""
    draw = get_object_or_404(LotDraw, pk=pk)
    resp = JsonResponse(
        draw_public_record(draw), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    resp["Content-Disposition"] = f'inline; filename="draw-{draw.pk}.json"'
    return resp
