"""Validate Bot API calls against bot_api_schema.json (derived from the official spec).

Why: the fake must reject everything the real Telegram would reject, so that a
bot passing its end-to-end tests cannot send a malformed request in production.
Form/query values arrive as strings and are coerced by the declared field type
(as Telegram does); JSON values must already carry the right JSON type.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakeapi import limits
from fakeapi.errors import Invalid

SCHEMA_PATH = Path(__file__).with_name("bot_api_schema.json")
_INT_RE = re.compile(r"-?\d{1,19}")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_SCALARS = ("Integer", "Float", "Boolean", "True", "String", "InputFile")


@dataclass(frozen=True)
class Upload:
    """A file part received in a multipart request."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RawValue:
    """A request parameter plus where it came from (form/query strings get coerced)."""

    value: Any
    from_form: bool


class Schema:
    """Facts from the spec plus a recursive validator."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data["version"]
        self.methods: dict[str, Any] = dict(data["methods"])
        self.types: dict[str, Any] = dict(data["types"])
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: Path = SCHEMA_PATH) -> Schema:
        """Read the committed schema (sync, once, at construction time)."""
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def canonical_method(self, name: str) -> str | None:
        """Method names are case-insensitive, as on api.telegram.org."""
        return self._by_lower.get(name.lower())

    def returns_true(self, method: str) -> bool:
        """True when the spec says the method 'Returns True on success'."""
        return bool(self.methods[method].get("returns_true"))

    def validate_request(
        self, method: str, raw: Mapping[str, RawValue], uploads: Mapping[str, Upload]
    ) -> dict[str, Any]:
        """Return coerced params or raise Invalid with a Telegram-like reason."""
        fields: dict[str, Any] = self.methods[method]["fields"]
        for name in raw:
            if name not in fields:
                raise Invalid(f'unknown parameter "{name}" for method {method}')
        params: dict[str, Any] = {}
        for name, spec in fields.items():
            if name not in raw:
                if spec["required"]:
                    raise Invalid(f'parameter "{name}" is required')
                continue
            item = raw[name]
            params[name] = self._value(item.value, spec["types"], name, item.from_form, uploads)
        limits.check_method(method, params)
        return params

    def validate_object(self, type_name: str, value: Any) -> None:
        """Check an object we produce (e.g. a Message) against the spec, for tests."""
        self._json(value, type_name, type_name, {})

    # -- internals -------------------------------------------------------------------

    def _value(
        self, value: Any, types: list[str], path: str, form: bool, uploads: Mapping[str, Upload]
    ) -> Any:
        if isinstance(value, Upload):
            if "InputFile" in types:
                return value
            raise Invalid(f"{path}: a file was uploaded but {' or '.join(types)} is expected")
        if isinstance(value, str) and value.startswith("attach://") and "InputFile" in types:
            return self._attach(value, path, uploads)
        convert: Callable[[Any, str, str, Mapping[str, Upload]], Any] = (
            self._form if form and isinstance(value, str) else self._json
        )
        ordered = sorted(types, key=lambda t: t == "String")  # String accepts anything: last
        errors: list[Invalid] = []
        for type_name in ordered:
            try:
                return convert(value, type_name, path, uploads)
            except Invalid as exc:
                errors.append(exc)
        raise _best(errors)

    @staticmethod
    def _attach(value: str, path: str, uploads: Mapping[str, Upload]) -> Upload:
        name = value.removeprefix("attach://")
        if name not in uploads:
            raise Invalid(f"{path}: multipart part {name!r} referenced by attach:// is missing")
        return uploads[name]

    def _form(self, value: str, type_name: str, path: str, uploads: Mapping[str, Upload]) -> Any:
        if type_name == "String":
            return value
        if type_name == "Integer":
            if _INT_RE.fullmatch(value) and _INT_MIN <= int(value) <= _INT_MAX:
                return int(value)
            raise Invalid(f"{path}: expected Integer, got {value!r}")
        if type_name == "Float":
            try:
                number = float(value)
            except ValueError:
                raise Invalid(f"{path}: expected Float, got {value!r}") from None
            if not math.isfinite(number):
                raise Invalid(f"{path}: expected a finite Float, got {value!r}")
            return number
        if type_name in ("Boolean", "True"):
            lowered = value.lower()
            if lowered in ("true", "1") or (type_name == "Boolean" and lowered in ("false", "0")):
                return lowered in ("true", "1")
            raise Invalid(f"{path}: expected {type_name}, got {value!r}")
        if type_name == "InputFile":
            raise Invalid(f"{path}: expected a file upload or attach://<part>")
        try:
            decoded = json.loads(value)
        except ValueError:
            raise Invalid(f"{path}: can't parse JSON for {type_name}") from None
        return self._json(decoded, type_name, path, uploads)

    def _json(self, value: Any, type_name: str, path: str, uploads: Mapping[str, Upload]) -> Any:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise Invalid(f"{path}: expected {type_name}")
            inner = type_name.removeprefix("Array of ")
            return [self._json(v, inner, f"{path}[{i}]", uploads) for i, v in enumerate(value)]
        if type_name in _SCALARS:
            return _scalar(value, type_name, path, uploads)
        spec = self.types.get(type_name)
        if spec is None:
            raise Invalid(f"{path}: unknown type {type_name} in schema")
        if spec["subtypes"]:
            return self._abstract(value, type_name, spec["subtypes"], path, uploads)
        return self._object(value, type_name, spec["fields"], path, uploads)

    def _abstract(
        self,
        value: Any,
        type_name: str,
        subtypes: list[str],
        path: str,
        uploads: Mapping[str, Upload],
    ) -> Any:
        candidates = subtypes
        if isinstance(value, dict):
            tagged = [s for s in subtypes if _const_match(self.types.get(s), value) is not None]
            matching = [s for s in tagged if _const_match(self.types.get(s), value)]
            if tagged and len(tagged) == len(subtypes) and not matching:
                raise Invalid(f"{path}: unsupported {type_name} kind", depth=_depth(path))
            candidates = matching + [s for s in subtypes if s not in tagged] or subtypes
        errors: list[Invalid] = []
        for sub in candidates:
            try:
                return self._json(value, sub, path, uploads)
            except Invalid as exc:
                errors.append(exc)
        raise _best(errors)

    def _object(
        self,
        value: Any,
        type_name: str,
        fields: Mapping[str, Any],
        path: str,
        uploads: Mapping[str, Upload],
    ) -> dict[str, Any]:
        depth = _depth(path)
        if not isinstance(value, dict):
            raise Invalid(f"{path}: expected {type_name} object", depth=depth)
        for key in value:
            if key not in fields:
                raise Invalid(f"{path}: unknown field {key!r} in {type_name}", depth=depth + 1)
        out: dict[str, Any] = {}
        for key, spec in fields.items():
            sub_path = f"{path}.{key}"
            if key not in value:
                if spec["required"]:
                    raise Invalid(f"{sub_path}: required field of {type_name} is missing", depth)
                continue
            if "const" in spec and value[key] != spec["const"]:
                raise Invalid(f"{sub_path}: must be {spec['const']!r}", depth=depth)
            errors: list[Invalid] = []
            for field_type in sorted(spec["types"], key=lambda t: t == "String"):
                try:
                    out[key] = self._json(value[key], field_type, sub_path, uploads)
                    break
                except Invalid as exc:
                    errors.append(exc)
            else:
                raise _best(errors)
        limits.check_object(type_name, out, path)
        return out


def _scalar(value: Any, type_name: str, path: str, uploads: Mapping[str, Upload]) -> Any:
    ok = {
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "Boolean": isinstance(value, bool),
        "True": value is True,
        "String": isinstance(value, str),
        "InputFile": False,
    }[type_name]
    if type_name == "InputFile" and isinstance(value, str) and value.startswith("attach://"):
        return Schema._attach(value, path, uploads)
    if not ok:
        raise Invalid(f"{path}: expected {type_name}, got {type(value).__name__}", _depth(path))
    return value


def _const_match(spec: Mapping[str, Any] | None, value: Mapping[str, Any]) -> bool | None:
    """None when the subtype has no discriminator constant, else whether it matches."""
    if spec is None:
        return None
    for key, field in spec["fields"].items():
        if "const" in field:
            return bool(value.get(key) == field["const"])
    return None


def _depth(path: str) -> int:
    return path.count(".") + path.count("[")


def _best(errors: list[Invalid]) -> Invalid:
    """Report the union member that got furthest: its error is the useful one."""
    return max(errors, key=lambda e: e.depth)
