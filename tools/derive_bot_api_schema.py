"""Derive fakeapi/bot_api_schema.json from the Bot API spec (api.json).

Why: the fake server must validate requests without /work/shared being present,
so we commit a facts-only extract (names, types, required flags, subtypes,
discriminator constants) and no description text.

Usage: python tools/derive_bot_api_schema.py [SPEC_JSON] [OUTPUT_JSON]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "fakeapi" / "bot_api_schema.json"
SPEC_CANDIDATES = (
    Path("/work/shared/telegram-bot-api/api.json"),
    REPO_ROOT.parent / "shared" / "telegram-bot-api" / "api.json",
)

# 'always "user"' / 'must be chat' on the discriminator field of a subtype.
_CONST_RE = re.compile(r'(?:always|must be)\s+[“"]?([a-z0-9_]+)[”"]?\s*$')
_TRUE_RE = re.compile(r"True is returned|[Rr]eturns? True|True on success")
_DISCRIMINATORS = ("type", "source", "status")


def find_spec() -> Path | None:
    """Return the first existing spec location, if any."""
    for candidate in SPEC_CANDIDATES:
        if candidate.is_file():
            return candidate
    return None


def _fields(raw: list[dict[str, Any]], subtype: bool) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for field in raw:
        entry: dict[str, Any] = {"types": list(field["types"]), "required": bool(field["required"])}
        if subtype and field["name"] in _DISCRIMINATORS and field["types"] == ["String"]:
            match = _CONST_RE.search(field.get("description", "").rstrip(". "))
            if match:
                entry["const"] = match.group(1)
        out[field["name"]] = entry
    return out


def derive(spec: dict[str, Any]) -> dict[str, Any]:
    """Reduce the spec to validation facts (no prose)."""
    methods: dict[str, Any] = {}
    for name, method in spec["methods"].items():
        entry: dict[str, Any] = {
            "fields": _fields(method.get("fields", []), subtype=False),
            "returns": list(method["returns"]),
        }
        if method["returns"] == ["Boolean"] and _TRUE_RE.search(" ".join(method["description"])):
            entry["returns_true"] = True
        methods[name] = entry
    types: dict[str, Any] = {}
    for name, typ in spec["types"].items():
        types[name] = {
            "fields": _fields(typ.get("fields", []), subtype=bool(typ.get("subtype_of"))),
            "subtypes": list(typ.get("subtypes", [])),
        }
    return {"version": spec["version"], "methods": methods, "types": types}


def render(schema: dict[str, Any]) -> str:
    """Compact, sorted, newline-terminated: stable diffs."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    spec_path = Path(argv[1]) if len(argv) > 1 else find_spec()
    if spec_path is None:
        print("spec api.json not found; pass its path as the first argument", file=sys.stderr)
        return 2
    output = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    output.write_text(render(derive(spec)), encoding="utf-8")
    print(f"wrote {output} ({spec['version']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
