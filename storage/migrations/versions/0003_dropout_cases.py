"""dropout cases and their events, plan settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'dropout_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('household_id', sa.Integer(), nullable=False),
        sa.Column('school_unit_id', sa.Integer(), nullable=True),
        sa.Column('reporter_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('closing', sa.String(length=20), nullable=True),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_dropout_cases_member_id_members')),
        sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_dropout_cases_household_id_households')),
        sa.ForeignKeyConstraint(['school_unit_id'], ['units.id'], name=op.f('fk_dropout_cases_school_unit_id_units')),
        sa.ForeignKeyConstraint(['reporter_id'], ['cadres.id'], name=op.f('fk_dropout_cases_reporter_id_cadres')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dropout_cases')),
    )
    op.create_index(op.f('ix_dropout_cases_household_id'), 'dropout_cases', ['household_id'], unique=False)
    op.create_index(op.f('ix_dropout_cases_school_unit_id'), 'dropout_cases', ['school_unit_id'], unique=False)
    op.create_index(op.f('ix_dropout_cases_reporter_id'), 'dropout_cases', ['reporter_id'], unique=False)
    op.create_index('ix_dropout_cases_state', 'dropout_cases', ['state'], unique=False)
    op.create_index(
        'uq_dropout_cases_open_member',
        'dropout_cases',
        ['member_id'],
        unique=True,
        sqlite_where=sa.text('closed_at IS NULL'),
        postgresql_where=sa.text('closed_at IS NULL'),
    )
    op.create_table(
        'dropout_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('on_date', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['dropout_cases.id'], name=op.f('fk_dropout_events_case_id_dropout_cases')),
        sa.ForeignKeyConstraint(['actor_id'], ['cadres.id'], name=op.f('fk_dropout_events_actor_id_cadres')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dropout_events')),
        sa.UniqueConstraint('source', name=op.f('uq_dropout_events_source')),
    )
    op.create_index(op.f('ix_dropout_events_case_id'), 'dropout_events', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dropout_events_case_id'), table_name='dropout_events')
    op.drop_table('dropout_events')
    op.drop_index('uq_dropout_cases_open_member', table_name='dropout_cases')
    op.drop_index('ix_dropout_cases_state', table_name='dropout_cases')
    op.drop_index(op.f('ix_dropout_cases_reporter_id'), table_name='dropout_cases')
    op.drop_index(op.f('ix_dropout_cases_school_unit_id'), table_name='dropout_cases')
    op.drop_index(op.f('ix_dropout_cases_household_id'), table_name='dropout_cases')
    op.drop_table('dropout_cases')
