"""A county's settings: the deployment's, with what the county's registry row overrides."""

from __future__ import annotations

from bot.settings import Settings
from storage.tenancy import County


def settings_for(settings: Settings, county: County | None) -> Settings:
    """The county's bot token, time zone and language (where it has its own) and its own
    folder of photo copies (visit ids repeat across counties); validated as at start."""
    if county is None:
        return settings
    overrides: dict[str, object] = {"BOT_TOKEN": county.bot_token}
    if settings.evidence_dir is not None:
        overrides["CADREBOT_EVIDENCE_DIR"] = settings.evidence_dir / county.slug
    if county.timezone:
        overrides["CADREBOT_TIMEZONE"] = county.timezone
    if county.locale:
        overrides["CADREBOT_LOCALE"] = county.locale
    values = {
        (field.alias or name): getattr(settings, name)
        for name, field in Settings.model_fields.items()
    }
    return Settings.model_validate({**values, **overrides})
