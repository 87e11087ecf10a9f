"""The draw pages: watch live (websocket), commit and reveal, verify from the record (public)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from appraisers import services
from appraisers.models import LotDraw
from appraisers.selectors import draw_public_record
from appraisers.services.selection import parties_of_user
from appraisers.services.verification import draw_verify
from appraisers.views._util import guarded
from core.court_actions import CourtAction, CourtActions, by_ref
from core.errors import PermissionDenied
from core.forms import Form, TextField
from core.permissions import can, require
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest


def _participants(draw: LotDraw, user: Any) -> list[tuple[str, str]]:
    """The participant refs this user may commit or reveal for: the court and/or their parties."""
    out: list[tuple[str, str]] = []
    if not getattr(user, "is_authenticated", False):
        return out
    if can(user, "appraisers.manage_appraisal", draw.request):
        out.append(("court", gettext("法院")))
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


def _draw_for(request: AuthedRequest, pk: int) -> LotDraw:
    """A draw the user may take part in (the participation's target); others are refused."""
    draw = get_object_or_404(LotDraw.objects.select_related("request"), pk=pk)
    require(request.user, "appraisers.take_part_in_draw", draw.request)
    return draw


def _as_participant(draw: LotDraw, user: Any, ref: str) -> str:
    """``ref``, if the user may act for that participant of the draw (APR-03)."""
    if ref not in {r for r, _label in _participants(draw, user)}:
        raise PermissionDenied("not_this_participant", gettext("您不能以该参与方身份提交"))
    return ref


class CommitForm(Form):
    participant = TextField()
    commitment = TextField()


class RevealForm(Form):
    participant = TextField()
    secret = TextField()


#: A participant's commitment and reveal (APR-03); the page checks who they may act for.
PARTICIPANT_ACTIONS: CourtActions[LotDraw] = CourtActions(
    {
        "commit": CourtAction[LotDraw](
            form=CommitForm,
            call=lambda s: services.draw_commit(
                draw=s.target,
                participant_ref=_as_participant(s.target, s.actor, s.data["participant"]),
                commitment=s.data["commitment"],
                actor=s.actor,
            ),
            done=_("承诺值已提交。请妥善保存您的随机串，承诺截止后揭示。"),
        ),
        "reveal": CourtAction[LotDraw](
            form=RevealForm,
            call=lambda s: services.draw_reveal(
                draw=s.target,
                participant_ref=_as_participant(s.target, s.actor, s.data["participant"]),
                secret=s.data["secret"],
                actor=s.actor,
            ),
            done=_("随机串已揭示并与承诺值核对一致"),
        ),
    },
    page=lambda draw: reverse("appraisers:draw_live", args=[draw.pk]),
    subject=by_ref(lambda draw: f"case:{draw.request.case_id}/appraisal:{draw.request_id}/draw"),
)


@require_POST
@login_required
@guarded
@write_rate_limited("appraisers")
def draw_participate(request: AuthedRequest, pk: int) -> HttpResponse:
    draw = _draw_for(request, pk)
    _as_participant(draw, request.user, request.POST.get("participant", ""))
    return PARTICIPANT_ACTIONS.post(request, request.POST.get("action", ""), draw)


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
