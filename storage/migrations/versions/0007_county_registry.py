"""county registry (one deployment, many counties)

The registry lives in its own schema, on PostgreSQL only, and only in the deployment's own
(public) schema: a county's schema (storage.tenancy) skips this script's tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REGISTRY = 'cadrebot_tenancy'


def _deployment_schema() -> bool:
    return (
        op.get_bind().dialect.name == 'postgresql'
        and op.get_context().version_table_schema is None
    )


def upgrade() -> None:
    if not _deployment_schema():
        return
    op.execute(f'CREATE SCHEMA IF NOT EXISTS {REGISTRY}')
    op.create_table(
        'tenants',
        sa.Column('slug', sa.String(length=30), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('region', sa.String(length=200), nullable=False),
        sa.Column('bot_token', sa.String(length=100), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=True),
        sa.Column('locale', sa.String(length=8), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('slug', name=op.f('pk_tenants')),
        sa.UniqueConstraint('bot_token', name=op.f('uq_tenants_bot_token')),
        schema=REGISTRY,
    )
    op.create_table(
        'region_supervisors',
        sa.Column('telegram_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('region', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('telegram_id', name=op.f('pk_region_supervisors')),
        schema=REGISTRY,
    )


def downgrade() -> None:
    if not _deployment_schema():
        return
    op.drop_table('region_supervisors', schema=REGISTRY)
    op.drop_table('tenants', schema=REGISTRY)
    op.execute(f'DROP SCHEMA IF EXISTS {REGISTRY}')
