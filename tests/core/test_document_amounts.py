"""Amounts in 人民币大写 (issue 16): the forms courts and banks write."""

from __future__ import annotations

import pytest

from core.documents import rmb_upper


@pytest.mark.parametrize(
    ("fen", "upper"),
    [
        (0, "零元整"),
        (5, "伍分"),
        (50, "伍角整"),
        (100, "壹元整"),
        (105, "壹元零伍分"),
        (1_000, "壹拾元整"),
        (1_050, "壹拾元伍角整"),
        (105_000, "壹仟零伍拾元整"),
        (1_000_000, "壹万元整"),
        (20_100_050, "贰拾万壹仟元伍角整"),  # no 零 for the section's trailing zero
        (20_100_000, "贰拾万壹仟元整"),
        (20_010_000, "贰拾万零壹佰元整"),
        (100_000_100, "壹佰万零壹元整"),
        (123_456_789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (100_010_000_00, "壹亿零壹万元整"),
        (100_000_001_00, "壹亿零壹元整"),
        (10_000_000_000, "壹亿元整"),
        (200_100_000_00, "贰亿零壹拾万元整"),
        (1_000_100_000_00, "壹拾亿零壹拾万元整"),
        (101_000_000, "壹佰零壹万元整"),
        (-12_345, "负壹佰贰拾叁元肆角伍分"),
    ],
)
def test_rmb_upper(fen, upper):
    assert rmb_upper(fen) == upper


def test_too_large_is_refused():
    with pytest.raises(ValueError):
        rmb_upper(10**14)
