"""Telegram text rules: entity parsing for length checks, counted like Telegram.

Why: Telegram counts the 4096/1024 limits *after* entity parsing and rejects
malformed HTML; a bot that passes here should pass against the real API.
Lengths are counted in UTF-16 code units (how Telegram measures entity offsets),
which is stricter than code points for astral characters such as emoji.
"""

from __future__ import annotations

import html
import re

# Tags Telegram's HTML parse_mode understands.
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
        "tg-time",
    }
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
# MarkdownV2 characters that are never formatting and so must always be escaped.
_MDV2_RESERVED = frozenset("#+-={}.!")


class MarkupError(ValueError):
    """The text cannot be parsed with the requested parse_mode."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, Telegram's unit for text limits and entities."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(text: str, parse_mode: str | None) -> str:
    """Return the text a user would see, raising MarkupError where Telegram would."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    return text


def _parse_html(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        chunk = text[pos:] if lt < 0 else text[pos:lt]
        out.append(_ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), chunk))
        if lt < 0:
            break
        match = _TAG_RE.match(text, lt)
        offset = len(text[:lt].encode())
        if match is None:
            raise MarkupError(f"can't parse entities: unexpected '<' at byte offset {offset}")
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise MarkupError(
                f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset {offset}'
            )
        if closing:
            if not stack or stack[-1] != name:
                raise MarkupError(
                    f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                    f'expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
                )
            stack.pop()
        else:
            stack.append(name)
        pos = match.end()
    if stack:
        raise MarkupError(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def _parse_markdown_v2(text: str) -> str:
    """Approximate: enforce escaping of never-formatting characters, drop escapes."""
    out: list[str] = []
    in_code = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            in_code = not in_code
        elif not in_code and ch in _MDV2_RESERVED and text[i : i + 2] != "![":
            offset = len(text[:i].encode())
            raise MarkupError(
                f"can't parse entities: Character '{ch}' is reserved and must be escaped "
                f"with the preceding '\\' (byte offset {offset})"
            )
        if ch not in "*_~|`":
            out.append(ch)
        i += 1
    return "".join(out)
