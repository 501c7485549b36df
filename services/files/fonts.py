"""Which Chinese font the door-code PDF embeds, found without loading reportlab.

The PDF embeds (a subset of) the font, so it prints the same on any machine. reportlab embeds
TrueType outlines only (.ttf, or a .ttc collection of them); the CFF-outlined .otf/.ttc fonts
such as Noto Sans CJK cannot be embedded. Debian's fonts-wqy-microhei is TrueType.
"""

from __future__ import annotations

from pathlib import Path

FONT_SETTING = "CADREBOT_PDF_FONT"
FONT_PACKAGE = "fonts-wqy-microhei"
# Looked for in this order when the setting is unset: Debian/Ubuntu packages, then Windows.
KNOWN_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),  # fonts-arphic-uming
    Path("C:/Windows/Fonts/simhei.ttf"),
)
HOW_TO_FIX = (
    f"install the Debian package {FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) or set "
    f"{FONT_SETTING} to a TrueType Chinese font file (.ttf or .ttc; not an .otf)"
)


class FontMissing(Exception):
    """No usable Chinese font: the message says what was looked for and how to fix it."""


def cjk_font_path(configured: Path | None) -> Path:
    """The configured font if it exists, else the first known system font present."""
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(f"{FONT_SETTING}={configured}: no such file; {HOW_TO_FIX}")
        return configured
    for path in KNOWN_FONTS:
        if path.is_file():
            return path
    raise FontMissing(f"no TrueType Chinese font found for the door-code PDF; {HOW_TO_FIX}")
