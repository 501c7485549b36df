"""processed updates (webhook idempotency)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'processed_updates',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=True),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_processed_updates')),
    )
    op.create_index(
        op.f('ix_processed_updates_claimed_at'), 'processed_updates', ['claimed_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_processed_updates_claimed_at'), table_name='processed_updates')
    op.drop_table('processed_updates')
