"""How commands print machine-readable output: JSON and CSV on stdout, refusals on stderr."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring

from domain.spreadsheet import csv_field


def json_text(payload: object) -> str:
    """Indented UTF-8 JSON (Chinese names stay readable), one trailing newline.

    The text of `json.dumps(payload, ensure_ascii=False, indent=2)`, written about twice as
    fast: with an indent the standard library falls back to its pure-Python encoder, which
    dominated a province's report (tens of thousands of rows)."""
    return _indented(payload, "\n") + "\n"


# A value written by the caller: given the line break plus the current indentation, the
# pieces of its JSON text (long lists of rows, formatted faster than value by value).
JsonPieces = Callable[[str], Iterable[str]]


def write_json(payload: object, write: Callable[[str], object]) -> None:
    """Write the text of `json_text(payload)` piece by piece (no whole document in memory);
    values may be `JsonPieces`."""
    for piece in _pieces(payload, "\n"):
        write(piece)
    write("\n")


def flat_records(fields: Sequence[str], rows: Sequence[Sequence[object]]) -> JsonPieces:
    """`[{field: value, ...}, ...]` of rows whose values are in `fields` order, as `json_text`
    writes it, a thousand rows a piece: the keys' text is made once, and a column of strings
    or integers is encoded in one pass (a province's report has hundreds of thousands)."""

    def pieces(newline: str) -> Iterator[str]:
        if not rows:
            yield "[]"
            return
        inner = newline + "  "
        field = inner + "  "
        keys = [encode_basestring(name).replace("%", "%%") for name in fields]
        template = "{" + field + ("," + field).join(f"{key}: %s" for key in keys) + inner + "}"
        separator = "," + inner
        yield "[" + inner
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            columns = zip(*chunk, strict=True)
            encoded = [list(map(_encoder(column, field), column)) for column in columns]
            more = separator if start + 1000 < len(rows) else ""
            yield separator.join([template % row for row in zip(*encoded, strict=True)]) + more
        yield newline + "]"

    return pieces


_SAME_JSON_WHEN_EQUAL = (type(None), bool, str)


def _encoder(column: Sequence[object], newline: str) -> Callable[[object], str]:
    """How a column's values are written: all strings or all integers at C speed, anything
    else value by value as `_indented` writes it."""
    kinds = set(map(type, column))
    if kinds == {str}:
        return encode_basestring  # type: ignore[return-value]
    if kinds == {int}:
        return int.__repr__
    # A column of few distinct values (flags, lists of codes): each written once. Only
    # values whose equality means the same JSON are kept (not 1 and True, 0.0 and -0.0).
    written: dict[object, str] = {}

    def encode(value: object) -> str:
        kind = value.__class__
        if kind in _SAME_JSON_WHEN_EQUAL or (
            isinstance(value, tuple) and all(item.__class__ is str for item in value)
        ):
            text = written.get((kind, value))
            if text is None:
                text = written[(kind, value)] = _indented(value, newline)
            return text
        return _indented(value, newline)

    return encode


def _pieces(value: object, newline: str) -> Iterator[str]:
    """`value` as indented JSON in pieces, descending into dicts and lists of `JsonPieces`."""
    if callable(value):
        yield from value(newline)
        return
    inner = newline + "  "
    if isinstance(value, dict) and value and all(isinstance(key, str) for key in value):
        separator = "{" + inner
        for key, item in value.items():
            yield f"{separator}{encode_basestring(key)}: "
            yield from _pieces(item, inner)
            separator = "," + inner
        yield newline + "}"
        return
    yield _indented(value, newline)


def _indented(value: object, newline: str) -> str:
    """`value` as indented JSON; `newline` is the line break plus the current indentation."""
    if isinstance(value, str):
        return str(encode_basestring(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    inner = newline + "  "
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        if not value:
            return "{}"
        body = ("," + inner).join(
            f"{encode_basestring(key)}: {_indented(item, inner)}" for key, item in value.items()
        )
        return "{" + inner + body + newline + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        body = ("," + inner).join(_indented(item, inner) for item in value)
        return "[" + inner + body + newline + "]"
    # Floats, None, booleans, anything else: as the standard library writes them.
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", newline)


def csv_text(
    fields: Sequence[str], rows: Iterable[Mapping[str, object]], *, lineterminator: str = "\r\n"
) -> str:
    """A header line, then one line per row, in the order of `fields`; formula-like text is
    escaped (`'`) so a spreadsheet opening the file shows it and runs nothing."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator=lineterminator)
    writer.writeheader()
    writer.writerows({key: csv_field(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def usage_error(message: str) -> int:
    """A wrong option for this command: said on stderr, exit status 2 as argparse does."""
    print(message, file=sys.stderr)
    return 2


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 household", "2 households": the CLI's English, with no "(s)"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
