"""reminder rules, outbox, scheduler lease

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'reminder_rules',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('spec', sa.Text(), nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('minute', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('evaluated_through', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_reminder_rules')),
    )
    op.create_table(
        'reminder_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cadre_id', sa.Integer(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('period', sa.String(length=40), nullable=False),
        sa.Column('occurrence', sa.String(length=40), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('buttons', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], name=op.f('fk_reminder_outbox_cadre_id_cadres')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_outbox')),
        sa.UniqueConstraint('cadre_id', 'rule', 'period', 'occurrence', name='uq_reminder_once'),
    )
    op.create_index(op.f('ix_reminder_outbox_cadre_id'), 'reminder_outbox', ['cadre_id'], unique=False)
    op.create_index('ix_reminder_outbox_due', 'reminder_outbox', ['state', 'not_before'], unique=False)
    op.create_table(
        'scheduler_lease',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease')),
    )
    with op.batch_alter_table('cadres') as batch:
        batch.add_column(sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cadres') as batch:
        batch.drop_column('unreachable_at')
    op.drop_table('scheduler_lease')
    op.drop_index('ix_reminder_outbox_due', table_name='reminder_outbox')
    op.drop_index(op.f('ix_reminder_outbox_cadre_id'), table_name='reminder_outbox')
    op.drop_table('reminder_outbox')
    op.drop_table('reminder_rules')
