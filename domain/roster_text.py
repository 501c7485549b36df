"""Which bytes a roster CSV may hold: the encodings accepted, and how others are told.

A roster CSV is UTF-8 (with or without BOM) or GB18030 (what Excel on Chinese Windows
saves as "CSV"). Anything else is refused, never guessed: a Big5, Shift-JIS or Latin-1
file would otherwise load as garbled names with no error. GB18030 decodes almost any byte
string, so text read as GB18030 must also look like a Chinese roster (`gb18030_problem`).
"""

from __future__ import annotations

import unicodedata

ACCEPTED_ENCODINGS = "UTF-8 (with or without BOM) or GB18030"
ADVICE = (
    f'accepted encodings: {ACCEPTED_ENCODINGS}; in Excel, save as "CSV UTF-8 (逗号分隔)(*.csv)"'
)

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Read as GB18030, a Chinese roster holds ASCII, Chinese characters and punctuation, and
# at most pinyin letters. Kana, Greek, Cyrillic, box drawing and private-use characters are
# what Big5 bytes become when read as GB18030.
_ALLOWED_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x0000, 0x007F),  # ASCII
    (0x00A0, 0x024F),  # Latin-1 signs (· × ÷), Latin letters with pinyin tones (ā é ǎ ü)
    (0x2000, 0x206F),  # general punctuation: — ‘ ’ “ ” …
    (0x2100, 0x218F),  # letterlike signs and number forms: № ℃ Ⅰ Ⅻ
    (0x2460, 0x24FF),  # circled numbers ①
    (0x3000, 0x303F),  # CJK punctuation: 、 。 《 》 【 】
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFF60),  # fullwidth forms: ， （ ） ：
    (0xFFE0, 0xFFEF),  # fullwidth signs: ￥
)
_IDEOGRAPH_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),  # CJK ideographs, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK ideographs, extensions B-G
)
# More than one Chinese character in this many outside GB2312 (the 6,763 common ones, in
# which nearly every name is written) means Shift-JIS or Latin-1 read as GB18030.
RARE_SHARE = 5


class UnreadableText(ValueError):
    """The bytes are not a roster CSV in an accepted encoding; the message says why and
    names the encodings accepted."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot read the file as text: {reason}; {ADVICE}")


def decode_roster_csv(data: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030 that looks like a Chinese roster; else refused."""
    if data.startswith(_UTF32_BOMS):
        raise UnreadableText("the file is UTF-32 text")
    if data.startswith(_UTF16_BOMS):
        raise UnreadableText('the file is UTF-16 text (Excel\'s "Unicode text")')
    if data.count(b"\0") * 4 > len(data):
        raise UnreadableText("the file is not text (UTF-16 without BOM, or binary)")
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM) :].decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnreadableText(
                f"it begins as UTF-8 but {_bad_byte(error)} is not UTF-8"
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise UnreadableText(f"neither UTF-8 nor GB18030: {_bad_byte(error)}") from None
    problem = gb18030_problem(text)
    if problem is not None:
        raise UnreadableText(
            f"not UTF-8, and read as GB18030 {problem}: probably Big5, Shift-JIS, Latin-1 "
            f"or another encoding"
        )
    return text


def gb18030_problem(text: str) -> str | None:
    """Why `text`, read as GB18030, is not a Chinese roster; None when it is one."""
    foreign = [ch for ch in text if not _allowed(ch)]
    if foreign:
        return f"it holds characters a Chinese roster does not ({_shown(foreign)})"
    ideographs = [ch for ch in text if _is_ideograph(ch)]
    rare = [ch for ch in ideographs if not _in_gb2312(ch)]
    if rare and len(rare) * RARE_SHARE > len(ideographs):
        return (
            f"{len(rare)} of its {len(ideographs)} Chinese characters are rare ones "
            f"outside GB2312 ({_shown(rare)})"
        )
    return None


def _in_blocks(ch: str, blocks: tuple[tuple[int, int], ...]) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in blocks)


def _allowed(ch: str) -> bool:
    return _in_blocks(ch, _ALLOWED_BLOCKS) or _is_ideograph(ch)


def _is_ideograph(ch: str) -> bool:
    return _in_blocks(ch, _IDEOGRAPH_BLOCKS) and unicodedata.category(ch) == "Lo"


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _shown(chars: list[str]) -> str:
    """The first few distinct characters with their code points, e.g. `搶 U+6436`."""
    distinct = list(dict.fromkeys(chars))[:3]
    return ", ".join(
        f"{ch} U+{ord(ch):04X}" if _visible(ch) else f"U+{ord(ch):04X}" for ch in distinct
    )


def _visible(ch: str) -> bool:
    """Printable and not private-use: worth showing as itself in a message."""
    return ch.isprintable() and unicodedata.category(ch) != "Co"


def _bad_byte(error: UnicodeDecodeError) -> str:
    byte = error.object[error.start]
    return f"byte 0x{byte:02X} at offset {error.start}"
