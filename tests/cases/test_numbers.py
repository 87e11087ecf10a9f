"""Case numbers (案号) as courts write them: parsed, normalised, refused with the reason."""

import pytest

from cases.numbers import CASE_TYPES, CaseNumberError, parse_case_number, parse_court_code


def parse(text):
    return parse_case_number(text, current_year=2026)


@pytest.mark.parametrize(
    "raw",
    [
        "（2026）赣0102执1234号",
        "(2026)赣0102执1234号",
        "（2026)赣0102执1234号",
        " ( 2026 ) 赣0102 执 1234 号 ",
    ],
)
def test_both_bracket_styles_are_read_and_normalised_to_full_width(raw):
    n = parse(raw)
    assert (n.year, n.court_code, n.case_type, n.sequence) == (2026, "赣0102", "执", 1234)
    assert n.text == "（2026）赣0102执1234号"


@pytest.mark.parametrize(
    ("raw", "code", "level"),
    [
        ("（2026）赣执12号", "赣", "高级人民法院"),
        ("（2026）赣01执12号", "赣01", "中级人民法院或专门人民法院"),
        ("（2026）赣0102执12号", "赣0102", "基层人民法院"),
        ("（2026）最高法执监12号", "最高法", "最高人民法院"),
        ("（2026）黔0102执12号", "黔0102", "基层人民法院"),
        ("（2026）兵08执12号", "兵08", "中级人民法院或专门人民法院"),
    ],
)
def test_every_court_code_length_is_understood(raw, code, level):
    n = parse(raw)
    assert n.court_code == code
    assert n.court_level == level


@pytest.mark.parametrize("case_type", [t for t in CASE_TYPES if t != "执字"])
def test_every_enforcement_case_type_is_read_with_its_meaning(case_type):
    n = parse(f"（2026）赣0102{case_type}7号")
    assert n.case_type == case_type
    assert n.case_type_label == CASE_TYPES[case_type]


def test_execution_resumption_is_not_mistaken_for_first_execution():
    n = parse("（2026）赣0102执恢3号")
    assert n.case_type == "执恢"
    assert n.case_type_label == "恢复执行案件"


def test_pre_2016_numbering_is_accepted_for_old_cases_only():
    n = parse("（2015）赣0102执字第00123号")
    assert (n.case_type, n.sequence) == ("执字", 123)
    assert n.text == "（2015）赣0102执字第123号"
    with pytest.raises(CaseNumberError, match="2016年以前"):
        parse("（2026）赣0102执字第1号")


def test_full_width_digits_and_leading_zeros_are_normalised():
    assert parse("（２０２６）赣０１０２执００４２号").text == "（2026）赣0102执42号"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("（2026）赣0102民初1234号", "不是执行案件类型代字"),
        ("（2026）赣0102执行1234号", "不是执行案件类型代字"),
        ("（2026）赣0102执X1234号", "不是执行案件类型代字"),
        ("（2026）赣0102执异第5号", "不加“第”"),
        ("（2026）赣01021执1234号", "0、2 或 4 位"),
        ("（2026）赣1执1234号", "0、2 或 4 位"),
        ("（2026）港0102执1234号", "不是省级行政区简称"),
        ("（2026）0102执1234号", "法院代字"),
        ("〔2026〕赣0102执1234号", "圆括号"),
        ("2026赣0102执1234号", "括号中的年份开头"),
        ("（2026赣0102执1234号", "没有闭合"),
        ("（26）赣0102执1234号", "四位数字年份"),
        ("（2031）赣0102执1234号", "不合理"),
        ("（1900）赣0102执1234号", "不合理"),
        ("（2026）赣0102执号", "案件序号"),
        ("（2026）赣0102执0号", "从 1 开始"),
        ("（2026）赣0102执1234", "以“号”字结尾"),
        ("（2026）赣0102执1234号之一", "不应再有内容"),
        ("", "请填写案号"),
        ("   ", "请填写案号"),
        ("hello world", "括号中的年份开头"),
        ("（2026）赣0102执1234号（2026）赣0102执1号", "不应再有内容"),
    ],
)
def test_garbage_and_unknown_types_are_refused_with_the_reason(raw, reason):
    with pytest.raises(CaseNumberError) as info:
        parse(raw)
    assert info.value.code == "invalid_case_number"
    assert reason in str(info.value.message)


def test_court_code_alone_is_checked():
    assert parse_court_code("赣0102") == "赣0102"
    with pytest.raises(CaseNumberError):
        parse_court_code("测0001")
