"""`cadrebot doctor` in webhook mode: Telegram's view of the webhook (getWebhookInfo), next
to what every replica sets at start. The only doctor step that talks to Telegram, so aiogram
is imported only here, and only in webhook mode."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.settings import Settings
from domain.webhook_state import WebhookCheck, WebhookSeen, WebhookWanted


async def ask_webhook(settings: Settings, county: str | None) -> WebhookCheck | None:
    """Ask Telegram for the bot's (with `county`: that county's bot's) webhook; None when
    there is no token to ask with. An unreachable Bot API is a finding, not an error."""
    from aiogram.exceptions import TelegramAPIError

    from bot.telegram import build_bot
    from bot.webhook import WEBHOOK_PATH

    assert settings.webhook_url is not None
    path = WEBHOOK_PATH if county is None else f"{WEBHOOK_PATH}/{county}"
    wanted = WebhookWanted(
        url=settings.webhook_url + path,
        allowed_updates=tuple(used_update_types()),
        max_connections=settings.webhook_max_connections,
    )
    token = await _county_token(settings, county) if county else settings.bot_token
    if token is None:
        return None
    bot = build_bot(settings, token if isinstance(token, str) else token.get_secret_value())
    try:
        info = await bot.get_webhook_info()
    except (TelegramAPIError, OSError) as error:
        return WebhookCheck(wanted, None, error=str(error) or type(error).__name__)
    finally:
        await bot.session.close()
    last_error = info.last_error_date
    seen = WebhookSeen(
        url=info.url,
        pending_update_count=info.pending_update_count,
        allowed_updates=tuple(info.allowed_updates) if info.allowed_updates is not None else None,
        max_connections=info.max_connections,
        last_error_at=_utc(last_error) if last_error is not None else None,
        last_error_message=info.last_error_message,
    )
    return WebhookCheck(wanted, seen)


def used_update_types() -> list[str]:
    """The update kinds the handlers use: what `setWebhook` is given at start."""
    from aiogram import Dispatcher

    from handlers import build_root_router

    dispatcher = Dispatcher()
    dispatcher.include_router(build_root_router())
    return dispatcher.resolve_used_update_types()


async def _county_token(settings: Settings, slug: str) -> str | None:
    """The county's bot token from the registry (None: no such county, doctor says so)."""
    from sqlalchemy.exc import SQLAlchemyError

    from domain.errors import DomainError
    from storage.tenancy import find_county, make_county_engine

    engine = make_county_engine(settings.database_url)
    try:
        return (await find_county(engine, slug, settings.token_key_list)).bot_token
    except (DomainError, OSError, SQLAlchemyError):  # doctor's other steps say why
        return None
    finally:
        await engine.dispose()


def _utc(moment: datetime | int) -> datetime:
    """aiogram reads Telegram's Unix time as a datetime; either way, aware UTC."""
    if isinstance(moment, int):
        return datetime.fromtimestamp(moment, UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
