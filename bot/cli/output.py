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
