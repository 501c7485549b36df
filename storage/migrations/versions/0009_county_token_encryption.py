"""county bot tokens encrypted at rest: bot_id keeps one county per bot

A county's bot token is now stored encrypted (storage.token_vault: a Fernet token of about
140 characters, different each time it is written), so `bot_token` becomes TEXT and loses
its unique constraint; `bot_id` (the token's part before the colon, not secret) takes it
over: one bot, one county. Existing rows (plain text) get their bot id here and stay plain
until `cadrebot tenant encrypt-tokens`. Like 0007, only in the deployment's own schema on
PostgreSQL; a county's schema and SQLite skip it.

Downgrade needs every token in plain text again (an encrypted one does not fit the old
column, and the old code could not read it): it refuses, naming the counties, otherwise.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00
"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REGISTRY = 'cadrebot_tenancy'
BOT_ID = re.compile(r'([0-9]{1,18}):')
SEALED_PREFIX = 'gAAAAA'  # storage.token_vault: a Fernet token


def _deployment_schema() -> bool:
    return (
        op.get_bind().dialect.name == 'postgresql'
        and op.get_context().version_table_schema is None
    )


def upgrade() -> None:
    if not _deployment_schema():
        return
    bind = op.get_bind()
    rows = bind.execute(sa.text(f'SELECT slug, bot_token FROM {REGISTRY}.tenants')).all()
    bot_ids: dict[int, str] = {}
    for slug, token in rows:
        found = BOT_ID.match(token)
        if found is None:
            raise RuntimeError(
                f'county {slug}: its bot token has no bot id before a colon; give it its '
                "token (@BotFather's, digits:letters) in cadrebot_tenancy.tenants, then again"
            )
        bot_id = int(found.group(1))
        if bot_id in bot_ids:
            raise RuntimeError(
                f'counties {bot_ids[bot_id]} and {slug} have tokens of the same bot '
                f'({bot_id}): one bot serves one county; give one of them its own bot first'
            )
        bot_ids[bot_id] = slug
    op.add_column('tenants', sa.Column('bot_id', sa.BigInteger(), nullable=True), schema=REGISTRY)
    op.execute(
        f"UPDATE {REGISTRY}.tenants SET bot_id = CAST(split_part(bot_token, ':', 1) AS BIGINT)"
    )
    op.alter_column('tenants', 'bot_id', nullable=False, schema=REGISTRY)
    op.create_unique_constraint(op.f('uq_tenants_bot_id'), 'tenants', ['bot_id'], schema=REGISTRY)
    op.drop_constraint(op.f('uq_tenants_bot_token'), 'tenants', schema=REGISTRY, type_='unique')
    op.alter_column(
        'tenants',
        'bot_token',
        type_=sa.Text(),
        existing_type=sa.String(length=100),
        existing_nullable=False,
        schema=REGISTRY,
    )


def downgrade() -> None:
    if not _deployment_schema():
        return
    bind = op.get_bind()
    sealed = bind.execute(
        sa.text(
            f'SELECT slug FROM {REGISTRY}.tenants WHERE bot_token LIKE :sealed ORDER BY slug'
        ),
        {'sealed': SEALED_PREFIX + '%'},
    ).scalars().all()
    if sealed:
        raise RuntimeError(
            'the bot tokens of counties ' + ', '.join(sealed) + ' are encrypted; before '
            '0009 they were plain text: give each its token again in plain text '
            '(cadrebot tenant set-token SLUG --token-file FILE --plain-token, without '
            'CADREBOT_TOKEN_KEYS), then downgrade'
        )
    op.alter_column(
        'tenants',
        'bot_token',
        type_=sa.String(length=100),
        existing_type=sa.Text(),
        existing_nullable=False,
        schema=REGISTRY,
    )
    op.create_unique_constraint(
        op.f('uq_tenants_bot_token'), 'tenants', ['bot_token'], schema=REGISTRY
    )
    op.drop_constraint(op.f('uq_tenants_bot_id'), 'tenants', schema=REGISTRY, type_='unique')
    op.drop_column('tenants', 'bot_id', schema=REGISTRY)
