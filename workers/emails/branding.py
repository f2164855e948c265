"""The brand an email wears: the organisation's name, logo and colour, or Luneo's.

`organizations.branding` is JSON any admin of a tenant writes, so it is read as hostile: only
two keys are used, each kept only when it has exactly the expected shape, and everything else
falls back to Luneo's defaults. The layout reads `Brand`, never the raw JSON, so no template
can forget a check. A colour ends up inside CSS, where HTML escaping does not help: hence the
strict `#rrggbb` (`red;background:url(...)` would otherwise add rules). A logo ends up in an
`<img src>`: only `https://` (no `javascript:`, no `data:`, no plain-HTTP mixed content).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from luneo.workers.emails.errors import TemplateDataError

LUNEO = "Luneo"
DEFAULT_COLOR = "#1d1d1b"
"""Luneo's ink: buttons and the top rule when the organisation sets no colour."""
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str | None
    color: str
    """`#rrggbb`, validated: safe inside CSS."""
    on_color: str
    """The text colour readable on `color` (white on dark colours, ink on light ones)."""


def _readable_on(color: str) -> str:
    """White or ink, whichever contrasts more with `color` (WCAG relative luminance)."""

    def linear(channel: str) -> float:
        c = int(channel, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # white wins while (1.05) / (L + 0.05) > (L + 0.05) / (0.05), i.e. below about 0.18
    return "#ffffff" if luminance < 0.179 else DEFAULT_COLOR


def _color(value: Any) -> str:
    return value if isinstance(value, str) and _COLOR.fullmatch(value) else DEFAULT_COLOR


def _logo(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("https://") and not _NOT_IN_URL.search(value):
        return value
    return None


def brand_of(organization: Any) -> Brand:
    """The brand of `organization` (`{"name": ..., "branding": {...}}`), Luneo's for None (the
    account-level emails). A missing or non-object `branding` is no branding."""
    if organization is None:
        return Brand(LUNEO, None, DEFAULT_COLOR, _readable_on(DEFAULT_COLOR))
    if not isinstance(organization, Mapping):
        raise TemplateDataError(f"'organization' must be an object or null, got {organization!r}")
    if organization.get("name") is None:
        raise TemplateDataError("missing data: 'organization.name' is undefined")
    branding = organization.get("branding")
    if not isinstance(branding, Mapping):
        branding = {}
    color = _color(branding.get("primary_color"))
    return Brand(str(organization["name"]), _logo(branding.get("logo_url")), color, _readable_on(color))
