"""The bot's language: Chinese punctuation, one term per concept, dates and plurals."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from domain.periods import Month, Quarter
from ui.i18n import Catalogs, Translator
from ui.render import clauses_text, date_text, list_text, month_text, quarter_text

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "ui" / "locales"
GLOSSARY = tomllib.loads((ROOT / "ui" / "glossary.toml").read_text(encoding="utf-8"))["concept"]

# CJK characters and the full-width punctuation that goes with them.
CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef\u201c\u201d\u2014\u2026"
PLACEHOLDER = re.compile(r"\{\w+\}")
# ASCII that may stand next to Chinese: a command with its arguments, a format hint, a URL.
ALLOWED = re.compile(r"/\w[\w-]*|https?://\S+|\[[^\]]*\]|YYYY-(MM-DD|MM|Qn)")
# ASCII , . : ; ? ! ( ) touching a Chinese character (a space may stand between them).
MIXED = re.compile(rf"[{CJK}] ?[,.:;?!()]|[,.:;?!()] ?[{CJK}]")
NUMBERED = re.compile(r"^\{\w+\}\. ")  # "{rank}. name", a numbered line


def _catalog(locale: str) -> Catalog:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _strings(message: Message) -> list[str]:
    value = message.string
    return [s for s in value if s] if isinstance(value, (tuple, list)) else [value] if value else []


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, (tuple, list)) else [message.id]


def mixed_punctuation(text: str) -> list[str]:
    """The places where ASCII punctuation touches Chinese; a placeholder counts as Chinese
    (it stands inside the Chinese sentence), commands and format hints do not."""
    if not re.search(f"[{CJK}]", text):
        return []
    shown = NUMBERED.sub("", text)
    shown = ALLOWED.sub(lambda m: "a" * len(m.group()), shown)
    shown = PLACEHOLDER.sub("\u5360", shown)
    return [shown[max(0, m.start() - 4) : m.end() + 4] for m in MIXED.finditer(shown)]


def test_the_check_finds_mixed_punctuation() -> None:
    # What the tester saw, and what is fine.
    assert mixed_punctuation("您走访了哪一户?{quarter}:已走访 {covered} / {total} 户;")
    assert mixed_punctuation("缺少：需求, 本年度核实确认")
    assert mixed_punctuation("(可选:现在发送照片即可附上。)")
    assert mixed_punctuation("已登记：{code} {head},{date}。")
    assert not mixed_punctuation("请发送 /visit 户编码 [YYYY-MM-DD] [备注]，或只发 /visit。")
    assert not mixed_punctuation("{rank}. {unit}：入户 {households}")
    assert not mixed_punctuation("/compliance — 本季度走访覆盖率（或 /compliance 2026-Q3）")
    assert not mixed_punctuation("Which household? {quarter}: 3 of 5")


def test_chinese_texts_use_chinese_punctuation() -> None:
    wrong = {
        text: found
        for message in _catalog("zh")
        if message.id
        for text in _strings(message)
        if (found := mixed_punctuation(text))
    }
    assert wrong == {}


def test_placeholders_survive_every_translation() -> None:
    for locale in ("zh", "en"):
        for message in _catalog(locale):
            if not message.id:
                continue
            expected = set(PLACEHOLDER.findall(_ids(message)[-1]))
            for text in _strings(message):
                assert set(PLACEHOLDER.findall(text)) == expected, (locale, message.id)


# ---- the glossary -------------------------------------------------------------------------


def test_glossary_doc_lists_every_concept_with_its_terms() -> None:
    doc = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").split("\n## ")[0]
    rows = {
        cells[0]: cells[1:3]
        for line in doc.splitlines()
        if line.startswith("| ") and not line.startswith("| concept")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    for concept in GLOSSARY:
        assert rows.get(concept["concept"]) == [concept["zh"], concept["en"]], concept["concept"]


@pytest.mark.parametrize("concept", GLOSSARY, ids=[c["concept"] for c in GLOSSARY])
def test_catalogues_use_the_glossary_terms(concept: dict[str, object]) -> None:
    zh, en = _catalog("zh"), _catalog("en")
    zh_forbidden = [re.compile(str(p)) for p in concept["zh_forbidden"]]  # type: ignore[attr-defined]
    en_forbidden = [re.compile(str(p), re.I) for p in concept["en_forbidden"]]  # type: ignore[attr-defined]
    pairing = concept.get("en_with_zh")
    for message in zh:
        if not message.id:
            continue
        english = _strings(en[message.id]) if message.id in en else []
        english = english or _ids(message)
        for text in _strings(message):
            for pattern in zh_forbidden:
                assert not pattern.search(text), (concept["concept"], pattern.pattern, text)
            if pairing and str(concept["zh"]) in text:
                assert any(re.search(str(pairing), e, re.I) for e in english), (text, english)
        for text in english:
            for pattern in en_forbidden:
                assert not pattern.search(text), (concept["concept"], pattern.pattern, text)


def test_one_name_for_the_village_visit() -> None:
    texts = " ".join(s for m in _catalog("zh") if m.id for s in _strings(m))
    assert "到村工作" in texts
    for variant in ("驻村走访", "挂包村走访", "驻村"):
        assert variant not in texts


# ---- dates, months, quarters, lists and plurals -------------------------------------------


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load("zh")


def test_quarters_months_and_dates_in_chinese(catalogs: Catalogs) -> None:
    t = catalogs.translator("zh")
    assert quarter_text(t, Quarter(2026, 4)) == "2026年第四季度"
    assert quarter_text(t, "2027-Q1") == "2027年第一季度"
    assert month_text(t, Month(2026, 11)) == "2026年11月"
    assert month_text(t, "2026-03") == "2026年3月"
    assert date_text(t, date(2026, 11, 20)) == "2026年11月20日"
    assert date_text(t, "2026-01-05") == "2026年1月5日"
    assert date_text(t, date(2026, 11, 20), short=True) == "11月20日"
    assert date_text(t, "2026-02-30") == "2026-02-30"  # not a date: shown as typed
    assert list_text(t, ["需求", "本年度核实确认"]) == "需求、本年度核实确认"
    assert clauses_text(t, ["a", "b"]) == "a；b"


def test_quarters_months_and_dates_in_english(catalogs: Catalogs) -> None:
    t = catalogs.translator("en")
    assert quarter_text(t, Quarter(2026, 4)) == "Q4 2026"
    assert month_text(t, Month(2026, 11)) == "November 2026"
    assert date_text(t, date(2026, 11, 20)) == "2026-11-20"
    assert date_text(t, date(2026, 11, 5), short=True) == "5 Nov"
    assert list_text(t, ["needs", "review"]) == "needs, review"


def test_typed_periods_are_still_accepted() -> None:
    assert Quarter.parse("2026-Q4") == Quarter(2026, 4)
    assert Month.parse("2026-11") == Month(2026, 11)


@pytest.mark.parametrize(
    ("count", "english", "chinese"),
    [
        (1, "1 day left", "还剩 1 天"),
        (3, "3 days left", "还剩 3 天"),
        (0, "0 days left", "还剩 0 天"),
    ],
)
def test_plurals(catalogs: Catalogs, count: int, english: str, chinese: str) -> None:
    en, zh = catalogs.translator("en"), catalogs.translator("zh")
    assert en.plural("{count} day left", "{count} days left", count) == english
    assert zh.plural("{count} day left", "{count} days left", count) == chinese


def test_no_english_text_counts_with_a_fixed_plural() -> None:
    """ "{days} days" reads "1 days" when the count is 1: such texts go through t.plural."""
    counted = re.compile(r"\{\w+\} (?:more )?(?:day|year|unit|household|milestone|case)s\b")
    wrong = [
        message.id
        for message in _catalog("en")
        if isinstance(message.id, str) and counted.search(message.id)
    ]
    assert wrong == []
    assert not [m.id for m in _catalog("en") if isinstance(m.id, str) and "(s)" in m.id]


def test_plural_entries_have_every_form() -> None:
    for locale, forms in (("zh", 1), ("en", 2)):
        catalog = _catalog(locale)
        assert catalog.num_plurals == forms
        plural = [m for m in catalog if m.id and isinstance(m.id, tuple)]
        assert plural, locale
        for message in plural:
            assert len(message.string) == forms, message.id
            if locale == "zh":
                assert message.string[0], message.id


def _translator(locale: str) -> Translator:
    return Catalogs.load("zh").translator(locale)


def test_missing_ledger_items_read_naturally() -> None:
    from ui.views.ledger import missing_text

    codes = ("needs", "destination:毕明")
    assert missing_text(codes, _translator("en")) == "needs, where 毕明 went after graduating"
    assert missing_text(codes, _translator("zh")) == "需求、毕明的毕业去向"


@pytest.mark.parametrize("guide", ["guide-zh.md", "guide-en.md"])
def test_the_guides_use_the_glossary_terms(guide: str) -> None:
    """The user guides speak the bot's words: no variant the glossary forbids."""
    text = (ROOT / "docs" / guide).read_text(encoding="utf-8")
    for concept in GLOSSARY:
        key = "zh_forbidden" if guide.endswith("zh.md") else "en_forbidden"
        flags = 0 if key == "zh_forbidden" else re.I
        for pattern in concept[key]:
            found = re.search(str(pattern), text, flags)
            assert found is None, (guide, concept["concept"], found.group() if found else "")
