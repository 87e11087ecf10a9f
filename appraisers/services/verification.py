"""Re-run a lot draw from its record and check it against the hash-chained audit trail (REC-07).

Three things must agree: the draw's own tables, the recomputation by ``draw_algorithm`` and the
values the audit trail recorded when each step happened. Any change to the frozen list, a
commitment, a reveal, the seed or the result shows up as a problem.
"""

from __future__ import annotations

from typing import Any

from appraisers import draw_algorithm as algo
from appraisers.models import LotDraw
from appraisers.selectors import draw_record
from core.audit import audit_verify
from core.models import AuditEntry


def draw_verify(draw: LotDraw) -> dict[str, Any]:
    """``{"ok", "problems", "ranking", "seed", "record"}`` for a completed draw."""
    record = draw_record(draw, include_secrets=True)
    problems: list[str] = []
    if draw.status != LotDraw.Status.DONE:
        return {
            "ok": False,
            "problems": ["摇号尚未完成"],
            "ranking": [],
            "seed": "",
            "record": record,
        }
    out = algo.recompute(record)
    problems.extend(out["problems"])
    stream = f"case:{draw.request.case_id}"
    entries = {
        e.action: e
        for e in AuditEntry.objects.filter(
            stream=stream, subject=draw.subject, action__in=["draw.frozen", "draw.done"]
        ).order_by("seq")
    }
    frozen, done = entries.get("draw.frozen"), entries.get("draw.done")
    if frozen is None or done is None:
        problems.append("审计记录中缺少本次摇号的冻结或结果记录")
    else:
        # Written as dicts; an entry edited to NULL is a mismatch to report, not a crash.
        frozen_after, done_after = frozen.after or {}, done.after or {}
        if frozen_after.get("list_hash") != out["list_hash"] or frozen_after.get(
            "frozen_list"
        ) != algo.normalise_list(record["frozen_list"]):
            problems.append("冻结名单与审计记录不符")
        if done_after.get("seed") != record["seed"] or done_after.get("result") != record["result"]:
            problems.append("种子或结果与审计记录不符")
        if done_after.get("reveals") != algo.valid_reveals(record["commitments"]):
            problems.append("揭示值与审计记录不符")
        if (done_after.get("public_value") or "") != (record.get("public_value") or ""):
            problems.append("公开随机值与审计记录不符")
    audited_commitments = {
        (e.after or {}).get("participant"): (e.after or {}).get("commitment")
        for e in AuditEntry.objects.filter(
            stream=stream, subject=draw.subject, action="draw.committed"
        )
    }
    stored_commitments = {c["participant_ref"]: c["commitment"] for c in record["commitments"]}
    if audited_commitments != stored_commitments:
        problems.append("承诺值与审计记录不符")
    broken = audit_verify([stream])
    if broken:
        problems.append(f"案件审计链在第 {broken[0].seq} 条断裂：{broken[0].problem}")
    return {
        "ok": not problems,
        "problems": problems,
        "ranking": out["ranking"],
        "seed": out["seed"],
        "record": record,
    }
