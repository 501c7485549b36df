"""export audit (who exported what), insert only

One table in every schema that holds the bot's tables: a one-county deployment's own, and
each county's (storage.tenancy runs this script with the search path set to the county's
schema, so the table, the trigger and its function land there). Unlike 0007 it is not
skipped anywhere: a county's exports are recorded in the county's own schema.

The database refuses to change or delete an audit row: a BEFORE UPDATE OR DELETE trigger
raises on PostgreSQL, and two BEFORE triggers RAISE(ABORT) on SQLite, both as a constraint
violation (SQLAlchemy's IntegrityError). TRUNCATE is left to the database's owner (moving a
one-county deployment's rows into its first county empties the old tables that way).
On SQLite a later batch migration that rebuilds this table must create the triggers again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REFUSAL = 'export_audit rows are insert only'

POSTGRESQL_UP = (
    f"""
    CREATE FUNCTION export_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER export_audit_insert_only BEFORE UPDATE OR DELETE ON export_audit
    FOR EACH ROW EXECUTE FUNCTION export_audit_refuse_change()
    """,
)
POSTGRESQL_DOWN = (
    'DROP TRIGGER IF EXISTS export_audit_insert_only ON export_audit',
    'DROP FUNCTION IF EXISTS export_audit_refuse_change()',
)
SQLITE_UP = tuple(
    f"""
    CREATE TRIGGER export_audit_no_{change.lower()} BEFORE {change} ON export_audit
    BEGIN SELECT RAISE(ABORT, '{REFUSAL} ({change} refused)'); END
    """
    for change in ('UPDATE', 'DELETE')
)
SQLITE_DOWN = (
    'DROP TRIGGER IF EXISTS export_audit_no_update',
    'DROP TRIGGER IF EXISTS export_audit_no_delete',
)


def upgrade() -> None:
    op.create_table(
        'export_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('actor_telegram_id', sa.BigInteger(), nullable=True),
        sa.Column('what', sa.String(length=40), nullable=False),
        sa.Column('scope', sa.String(length=200), nullable=False),
        sa.Column('period', sa.String(length=40), nullable=True),
        sa.Column('format', sa.String(length=20), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_audit')),
    )
    op.create_index(
        op.f('ix_export_audit_exported_at'), 'export_audit', ['exported_at'], unique=False
    )
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_UP if dialect == 'postgresql' else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DOWN if dialect == 'postgresql' else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index(op.f('ix_export_audit_exported_at'), table_name='export_audit')
    op.drop_table('export_audit')
