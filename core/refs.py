"""Opaque references between layers: ``"case:12"``, ``"auction:7/registration:3"``.

A lower app stores the string a higher app gives it and never a foreign key upward.
"""

from __future__ import annotations


def ref(kind: str, pk: object, *more: tuple[str, object]) -> str:
    parts = [f"{kind}:{pk}"] + [f"{k}:{v}" for k, v in more]
    return "/".join(parts)


def parse(reference: str) -> list[tuple[str, str]]:
    out = []
    for part in reference.split("/"):
        kind, _, pk = part.partition(":")
        if not kind or not pk:
            raise ValueError(f"not a reference: {reference!r}")
        out.append((kind, pk))
    return out


def case_stream(case_id: int) -> str:
    return f"case:{case_id}"
