"""Counties (tenants) of one deployment and the regions above them.

Each county's data lives apart (storage.tenancy: a PostgreSQL schema per county); what is
decided here is only which names are valid and which regions a supervisor reads. A region
is a path of names from the province down, "云南省/昭通市": a supervisor of a region reads
every county whose region is that path or lies under it.
"""

from __future__ import annotations

import re
import unicodedata

from domain.errors import DomainError

# Lower-case ASCII: the slug names the county's database schema and appears in URLs.
SLUG = re.compile(r"[a-z][a-z0-9_]{1,29}")
SCHEMA_PREFIX = "county_"
REGION_SEPARATOR = "/"
MAX_REGION_LEVELS = 4
MAX_REGION_PART = 40
MAX_COUNTY_NAME = 60


class TenantRefused(DomainError):
    """A county or region name, or a county asked for, refused; `reason` says which rule."""

    reason = "tenant_unknown"


def check_slug(slug: str) -> str:
    """The county's short name as given, or refused naming the rule."""
    if not SLUG.fullmatch(slug):
        raise TenantRefused("tenant_slug", slug=slug[:40])
    return slug


def tenant_schema(slug: str) -> str:
    """The schema that holds one county's data; never anything but `county_<slug>`."""
    return SCHEMA_PREFIX + check_slug(slug)


def parse_region(text: str) -> tuple[str, ...]:
    """ "云南省/昭通市" -> ("云南省", "昭通市"); empty parts, control characters and over-long
    names are refused, so a region can never be a prefix by accident ("昭通" of "昭通市")."""
    parts = tuple(part.strip() for part in text.split(REGION_SEPARATOR))
    if not parts or len(parts) > MAX_REGION_LEVELS or any(not part for part in parts):
        raise TenantRefused("tenant_region", region=text[:80])
    for part in parts:
        if len(part) > MAX_REGION_PART or any(unicodedata.category(c)[0] == "C" for c in part):
            raise TenantRefused("tenant_region", region=text[:80])
    return parts


def region_text(parts: tuple[str, ...]) -> str:
    return REGION_SEPARATOR.join(parts)


def region_covers(supervised: tuple[str, ...], county: tuple[str, ...]) -> bool:
    """A supervisor of `supervised` reads a county in `county`: the same path or below it."""
    return county[: len(supervised)] == supervised


def check_county_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_COUNTY_NAME:
        raise TenantRefused("tenant_name", name=name[:80])
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise TenantRefused("tenant_name", name=name[:80])
    return name
