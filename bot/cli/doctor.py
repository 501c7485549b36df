"""`cadrebot doctor`: what this deployment still lacks, each with the command that fixes it.

Exit status 0 when nothing is missing, 1 otherwise. It only reads: the schema is reported as
found (not upgraded), and Telegram is asked only in webhook mode (getWebhookInfo, which
changes nothing). In a deployment of counties one more line says how their bot tokens are
stored: a WARNING (exit status unchanged) for tokens in plain text or encrypted with an old
key, MISSING when an encrypted token has no key in CADREBOT_TOKEN_KEYS (`cadrebot run` would
refuse to start).
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.engine import make_url

from bot.cli.output import counted
from bot.settings import SANDBOX_DATABASE_FILE, Settings
from domain.clock import Clock
from services.readiness import STEPS, Readiness, check_deployment
from storage.reminders import GIVEN_UP
from storage.tenancy import TokenCensus

TITLES = {
    "bot_token": "bot token",
    "database": "database",
    "schema": "schema",
    "roster": "roster",
    "plan": "plan",
    "registrations": "registrations",
    "scheduler": "scheduler",
    "outbox": "outbox",
    "webhook": "webhook",
    "pdf_font": "door-code font",
}


async def run_doctor(settings: Settings, clock: Clock, county: str | None = None) -> int:
    """Check every step, print one line each (and the fix of each missing one); with
    `county` (--tenant), that county's roster, plan, registrations and reminders."""
    found = await check_deployment(
        settings.database_url,
        token_set=settings.bot_token is not None or county is not None,
        clock=clock,
        tz=settings.tz,
        pdf_font=settings.pdf_font,
        county=county,
    )
    if settings.mode == "webhook":
        from bot.cli.webhook_check import ask_webhook

        found = replace(found, webhook_mode=True, webhook=await ask_webhook(settings, county))
    tokens = await _token_census(settings)
    sys.stdout.write(render(found, settings, county, tokens))
    return 1 if found.missing or (tokens is not None and tokens.locked) else 0


async def _token_census(settings: Settings) -> TokenCensus | None:
    """How the registry stores the counties' tokens; None: no counties (or not readable,
    which the database and schema steps say)."""
    if not settings.database_url.startswith("postgresql"):
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from storage.tenancy import census_tokens, make_county_engine

    engine = make_county_engine(settings.database_url)
    try:
        census = await census_tokens(engine, settings.token_key_list)
    except (OSError, SQLAlchemyError):
        return None
    finally:
        await engine.dispose()
    return census if census.counties else None


def render(
    found: Readiness,
    settings: Settings,
    county: str | None = None,
    tokens: TokenCensus | None = None,
) -> str:
    """One line per step, `ok`, `MISSING` or `—` (not checked: a step before it is missing),
    with what was found; then each fix."""
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    at = found.checked_at.astimezone(settings.tz)
    lines = [f"cadrebot doctor, {at:%Y-%m-%d %H:%M} {settings.timezone}, DATABASE_URL={url}", ""]
    for step in STEPS:
        state = "—" if not found.checked(step) else "ok" if found.done(step) else "MISSING"
        lines.append(f"{state:<8} {TITLES[step]:<15} {_finding(step, found, settings)}")
        if not found.done(step):
            fix = _fix(step, found)
            if county is not None:  # on this county's tables (run and scheduler serve all)
                fix = re.sub(r"cadrebot (?!run|scheduler)", f"cadrebot --tenant {county} ", fix)
            lines.append(f"{'':<8} {'':<15} fix: {fix}")
    if tokens is not None:
        lines += _token_lines(tokens)
    missing = len([step for step in found.missing if found.checked(step)])
    missing += 1 if tokens is not None and tokens.locked else 0
    unchecked = len([step for step in STEPS if not found.checked(step)])
    summary = f"{counted(missing, 'step')} missing" if missing else "nothing missing: ready"
    if unchecked:
        summary = f"{counted(missing, 'step')} missing, {unchecked} not checked"
    lines += ["", summary]
    return "\n".join(lines) + "\n"


def _token_lines(tokens: TokenCensus) -> list[str]:
    """The counties' bot tokens: MISSING when one cannot be opened, WARNING when one is in
    plain text or still encrypted with an old key, ok otherwise (slugs only, never a token)."""

    def line(state: str, count: int, what: str) -> str:
        counties = counted(count, "county", "counties")
        return f"{state:<8} {'county tokens':<15} the bot tokens of {counties} {what}"

    def fix(text: str) -> str:
        return f"{'':<8} {'':<15} fix: {text}"

    if tokens.locked:
        why = (
            "no key of CADREBOT_TOKEN_KEYS opens them"
            if tokens.keys_set
            else ("CADREBOT_TOKEN_KEYS is not set")
        )
        return [
            line("MISSING", len(tokens.locked), f"({', '.join(tokens.locked)}) are encrypted and "
                 f"{why}: `cadrebot run` refuses to start"),
            fix("set CADREBOT_TOKEN_KEYS to the keys they were encrypted with, or give each "
                "its token again: cadrebot tenant set-token SLUG --token-file FILE"),
        ]  # fmt: skip
    if tokens.plain:
        steps = "cadrebot tenant encrypt-tokens"
        if not tokens.keys_set:
            steps = "cadrebot tenant new-key, put the key in CADREBOT_TOKEN_KEYS (every " + (
                "process's settings), then " + steps
            )
        return [
            line("WARNING", len(tokens.plain), f"({', '.join(tokens.plain)}) are stored in plain "
                 "text: every database dump and backup holds them"),
            fix(steps),
        ]  # fmt: skip
    if tokens.old_key:
        return [
            line("WARNING", len(tokens.old_key), f"({', '.join(tokens.old_key)}) are encrypted "
                 "with a key other than the first of CADREBOT_TOKEN_KEYS"),
            fix("cadrebot tenant encrypt-tokens (then the old keys can go)"),
        ]  # fmt: skip
    return [line("ok", tokens.counties, "are encrypted with the first key of CADREBOT_TOKEN_KEYS")]


def _finding(step: str, found: Readiness, settings: Settings) -> str:
    roster, year = found.roster, found.plan_year
    unread = "not checked: no schema yet" if found.database_error is None else "not checked"
    if step == "bot_token":
        return (
            "BOT_TOKEN is set"
            if found.token_set
            else "no BOT_TOKEN: sandbox mode (`cadrebot run` starts the local sandbox on its "
            f"own {SANDBOX_DATABASE_FILE}, not your bot)"
        )
    if step == "database":
        return found.database_error or "reachable"
    if step == "schema":
        if found.schema_current:
            return f"at head ({', '.join(sorted(found.schema_heads))})"
        heads = ", ".join(sorted(found.schema_heads))
        if not found.schema_revisions:
            return f"no tables yet (scripts at {heads})"
        return f"at {', '.join(sorted(found.schema_revisions))}, scripts at {heads}"
    if step == "roster":
        if roster is None:
            return unread
        return (
            f"{roster.units} units, {roster.active_cadres} cadres, {roster.households} households"
        )
    if step == "plan":
        return f"{'a' if found.plan_loaded else 'no'} plan loaded for {year} ({settings.timezone})"
    if step == "registrations":
        if roster is None:
            return unread
        text = f"{roster.registered_cadres} of {roster.active_cadres} cadres registered"
        if found.open_invites:
            invited = ", ".join(
                f"{i.code} (invite expires {i.expires_at.astimezone(settings.tz):%Y-%m-%d})"
                for i in found.open_invites
            )
            extra = found.invited - len(found.open_invites)
            text += f"; invited, not yet registered: {invited}"
            text += f" and {extra} more" if extra > 0 else ""
        if found.unregistered:
            more = (
                roster.active_cadres
                - roster.registered_cadres
                - found.invited
                - len(found.unregistered)
            )
            codes = ", ".join(found.unregistered) + (f" and {more} more" if more > 0 else "")
            text += f"; invite the others: cadrebot invite CODE (not yet: {codes})"
        return text
    if step == "scheduler":
        lease = found.lease
        if lease is None:
            return "nobody holds the scheduler lease: no reminders are sent"
        until = lease.expires_at.astimezone(settings.tz)
        if found.lease_fresh:
            return f"lease held by {lease.holder} until {until:%H:%M:%S}"
        if lease.expires_at <= GIVEN_UP:
            return f"nobody holds the scheduler lease: {lease.holder} gave it up when it stopped"
        ago = _age(found.checked_at - lease.expires_at)
        return f"nobody holds the scheduler lease: {lease.holder}'s expired {ago} ago"
    if step == "outbox":
        backlog = found.backlog
        if backlog is None:
            return "no outbox yet" if found.database_error is None else "not checked"
        if not backlog.due or backlog.oldest_due is None:
            return "no reminder due and unsent"
        oldest = _age(found.checked_at - backlog.oldest_due)
        return f"{counted(backlog.due, 'reminder')} due and unsent, the oldest for {oldest}"
    if step == "webhook":
        return _webhook_finding(found)
    if found.font is not None:
        return f"{found.font} (embedded in `cadrebot qr` PDFs)"
    return found.font_problem or "no font"


def _fix(step: str, found: Readiness) -> str:
    year = found.plan_year
    database = (
        "cadrebot db upgrade (creates it), or set DATABASE_URL to your database"
        if found.database_file_missing
        else "check DATABASE_URL (is the server up, does the database exist?), then "
        "cadrebot db upgrade"
    )
    if step == "webhook":
        return _webhook_fix(found)
    return {
        "bot_token": "set BOT_TOKEN (from @BotFather) in the environment or in .env",
        "database": database,
        "schema": "cadrebot db upgrade",
        "roster": "cadrebot import ROSTER.xlsx (or a CSV folder like examples/roster)",
        "plan": f"cadrebot plan load (the shipped plan re-based onto {year}), "
        "or cadrebot plan load YOUR-PLAN.toml",
        "registrations": "cadrebot invite CADRE, for each cadre; they open the link it prints"
        if found.unregistered or not found.invited
        else "the invited cadres open the link `cadrebot invite` printed for them "
        "(cadrebot invite CADRE again makes a new one)",
        "scheduler": "start `cadrebot run` or `cadrebot scheduler` (a bot with "
        "CADREBOT_SCHEDULER=off leaves reminders to `cadrebot scheduler`)",
        "outbox": "start `cadrebot run` or `cadrebot scheduler`; if one runs, see its log and "
        "`cadrebot reminders status`",
        "pdf_font": "install fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set "
        "CADREBOT_PDF_FONT to a TrueType Chinese font",
    }[step]


def _webhook_finding(found: Readiness) -> str:
    """Telegram's view of the webhook next to the configured one; pending updates and the
    last delivery error are always said."""
    check = found.webhook
    if not found.webhook_mode:
        return "not used (CADREBOT_MODE=polling: the bot asks Telegram for updates)"
    if check is None:
        return "not checked: no bot token to ask Telegram with"
    seen, wanted = check.seen, check.wanted
    if seen is None:
        return f"could not ask Telegram (getWebhookInfo): {check.error}"
    if not seen.url:
        return f"Telegram has no webhook for this bot ({wanted.url} is configured)"
    problems = check.problems(found.checked_at)
    parts = [
        f"Telegram posts to {seen.url}"
        + (f", not the configured {wanted.url}" if "other_url" in problems else "")
    ]
    if "allowed_updates" in problems:
        given = ", ".join(seen.allowed_updates) if seen.allowed_updates else "Telegram's default"
        parts.append(f"allowed updates {given}, the bot uses {', '.join(wanted.allowed_updates)}")
    if "max_connections" in problems:
        parts.append(f"max_connections {seen.max_connections}, configured {wanted.max_connections}")
    parts.append(f"{counted(seen.pending_update_count, 'update')} pending")
    if seen.last_error_at is not None:
        ago = _age(found.checked_at - seen.last_error_at)
        failing = "FAILING: " if "failing" in problems else ""
        parts.append(f"{failing}last delivery error {ago} ago: {seen.last_error_message}")
    else:
        parts.append("no delivery error")
    return "; ".join(parts)


def _webhook_fix(found: Readiness) -> str:
    check = found.webhook
    problems = check.problems(found.checked_at) if check is not None else ()
    if "unasked" in problems:
        return "check TELEGRAM_API_URL and that this machine reaches it, then again"
    if problems and set(problems) <= {"failing"}:
        return (
            "Telegram cannot deliver: check that the load balancer forwards POST to the "
            "replicas' CADREBOT_WEBHOOK_PORT over HTTPS and that the replicas run (their log)"
        )
    return (
        "start (or restart) `cadrebot run` with CADREBOT_MODE=webhook: each replica sets "
        "the webhook from CADREBOT_WEBHOOK_URL at start"
    )


def _age(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
