"""core tables: golden records per domain, crosswalks, source records, history,
source systems, idempotency keys and the audit log; seeds the demo source systems.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 03:16:32.380787
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('principal', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=True),
    sa.Column('record_id', sa.String(length=40), nullable=True),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('correlation_id', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_record_id'), ['record_id'], unique=False)

    op.create_table('cost_center',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('code', sa.String(length=500), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=True),
    sa.Column('parent_id', sa.String(length=40), nullable=True),
    sa.Column('owner_id', sa.String(length=40), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_center')),
    sa.UniqueConstraint('code', 'legal_entity_id', name='uq_cost_center_key1')
    )
    with op.batch_alter_table('cost_center', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_center_legal_entity_id'), ['legal_entity_id'], unique=False)
        batch_op.create_index('ix_cost_center_merged_into', ['merged_into'], unique=False, sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_cost_center_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_center_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_center_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_center_updated_at'), ['updated_at'], unique=False)

    op.create_table('crosswalk',
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('system', sa.String(length=50), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('golden_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('domain', 'system', 'source_id', name=op.f('pk_crosswalk'))
    )
    with op.batch_alter_table('crosswalk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crosswalk_golden_id'), ['golden_id'], unique=False)

    op.create_table('customer',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('legal_name', sa.String(length=500), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('tax_id', sa.String(length=500), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('billing_address', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('industry', sa.String(length=500), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('parent_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_key1', ['tax_id', 'country'], unique=False)
        batch_op.create_index('ix_customer_merged_into', ['merged_into'], unique=False, sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_customer_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_updated_at'), ['updated_at'], unique=False)

    op.create_table('employee',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('employee_number', sa.String(length=500), nullable=True),
    sa.Column('given_name', sa.String(length=500), nullable=True),
    sa.Column('family_name', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=True),
    sa.Column('cost_center_id', sa.String(length=40), nullable=True),
    sa.Column('manager_id', sa.String(length=40), nullable=True),
    sa.Column('job_title', sa.String(length=500), nullable=True),
    sa.Column('employment_type', sa.String(length=32), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('cost_rate', sa.Numeric(20, 4).with_variant(sa.String(40), "sqlite"), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employee')),
    sa.UniqueConstraint('employee_number', name='uq_employee_key1')
    )
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employee_cost_center_id'), ['cost_center_id'], unique=False)
        batch_op.create_index('ix_employee_key2', ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_employee_legal_entity_id'), ['legal_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employee_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index('ix_employee_merged_into', ['merged_into'], unique=False, sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_employee_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_employee_updated_at'), ['updated_at'], unique=False)

    op.create_table('golden_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('golden_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('principal', sa.String(length=100), nullable=False),
    sa.Column('correlation_id', sa.String(length=100), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_golden_history')),
    sa.UniqueConstraint('golden_id', 'version', name=op.f('uq_golden_history_golden_id_version'))
    )
    op.create_table('idempotency_key',
    sa.Column('principal', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.LargeBinary(), nullable=False),
    sa.Column('response_headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_key'))
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_key_created_at'), ['created_at'], unique=False)

    op.create_table('legal_entity',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('registration_number', sa.String(length=500), nullable=True),
    sa.Column('tax_id', sa.String(length=500), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('functional_currency', sa.String(length=3), nullable=True),
    sa.Column('parent_id', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_entity'))
    )
    with op.batch_alter_table('legal_entity', schema=None) as batch_op:
        batch_op.create_index('ix_legal_entity_key1', ['registration_number', 'country'], unique=False)
        batch_op.create_index('ix_legal_entity_merged_into', ['merged_into'], unique=False, sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_legal_entity_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_entity_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_entity_updated_at'), ['updated_at'], unique=False)

    op.create_table('project',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('code', sa.String(length=500), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=True),
    sa.Column('cost_center_id', sa.String(length=40), nullable=True),
    sa.Column('rate_card_id', sa.String(length=40), nullable=True),
    sa.Column('manager_id', sa.String(length=40), nullable=True),
    sa.Column('billing_model', sa.String(length=32), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('contract_value', sa.Numeric(20, 4).with_variant(sa.String(40), "sqlite"), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('code', name='uq_project_key1')
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_cost_center_id'), ['cost_center_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_legal_entity_id'), ['legal_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index('ix_project_merged_into', ['merged_into'], unique=False, sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_project_rate_card_id'), ['rate_card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_updated_at'), ['updated_at'], unique=False)

    op.create_table('rate_card',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_card'))
    )
    with op.batch_alter_table('rate_card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_card_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_rate_card_key1', ['name', 'customer_id', 'legal_entity_id', 'currency', 'effective_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_rate_card_legal_entity_id'), ['legal_entity_id'], unique=False)
        batch_op.create_index('ix_rate_card_merged_into', ['merged_into'], unique=False, sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_rate_card_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_rate_card_updated_at'), ['updated_at'], unique=False)

    op.create_table('source_record',
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('system', sa.String(length=50), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('golden_id', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=100), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('domain', 'system', 'source_id', name=op.f('pk_source_record'))
    )
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_record_golden_id'), ['golden_id'], unique=False)

    op.create_table('source_system',
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_source_system'))
    )

    systems = sa.table(
        "source_system",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        systems,
        [
            {"code": "mdm", "name": "the hub itself (records authored by stewards)", "created_at": now},
            {"code": "salesforce", "name": "Salesforce (CRM)", "created_at": now},
            {"code": "certinia", "name": "Certinia (PSA)", "created_at": now},
            {"code": "netsuite", "name": "NetSuite (ERP)", "created_at": now},
            {"code": "workday", "name": "Workday (HCM)", "created_at": now},
        ],
    )


def downgrade() -> None:
    op.drop_table('source_system')
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_record_golden_id'))

    op.drop_table('source_record')
    with op.batch_alter_table('rate_card', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_card_updated_at'))
        batch_op.drop_index(batch_op.f('ix_rate_card_status'))
        batch_op.drop_index('ix_rate_card_merged_into', sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_rate_card_legal_entity_id'))
        batch_op.drop_index('ix_rate_card_key1')
        batch_op.drop_index(batch_op.f('ix_rate_card_customer_id'))

    op.drop_table('rate_card')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_updated_at'))
        batch_op.drop_index(batch_op.f('ix_project_status'))
        batch_op.drop_index(batch_op.f('ix_project_rate_card_id'))
        batch_op.drop_index('ix_project_merged_into', sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_project_manager_id'))
        batch_op.drop_index(batch_op.f('ix_project_legal_entity_id'))
        batch_op.drop_index(batch_op.f('ix_project_customer_id'))
        batch_op.drop_index(batch_op.f('ix_project_cost_center_id'))

    op.drop_table('project')
    with op.batch_alter_table('legal_entity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_entity_updated_at'))
        batch_op.drop_index(batch_op.f('ix_legal_entity_status'))
        batch_op.drop_index(batch_op.f('ix_legal_entity_parent_id'))
        batch_op.drop_index('ix_legal_entity_merged_into', sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.drop_index('ix_legal_entity_key1')

    op.drop_table('legal_entity')
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_key_created_at'))

    op.drop_table('idempotency_key')
    op.drop_table('golden_history')
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employee_updated_at'))
        batch_op.drop_index(batch_op.f('ix_employee_status'))
        batch_op.drop_index('ix_employee_merged_into', sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_employee_manager_id'))
        batch_op.drop_index(batch_op.f('ix_employee_legal_entity_id'))
        batch_op.drop_index('ix_employee_key2')
        batch_op.drop_index(batch_op.f('ix_employee_cost_center_id'))

    op.drop_table('employee')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_updated_at'))
        batch_op.drop_index(batch_op.f('ix_customer_status'))
        batch_op.drop_index(batch_op.f('ix_customer_parent_id'))
        batch_op.drop_index('ix_customer_merged_into', sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.drop_index('ix_customer_key1')

    op.drop_table('customer')
    with op.batch_alter_table('crosswalk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crosswalk_golden_id'))

    op.drop_table('crosswalk')
    with op.batch_alter_table('cost_center', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_center_updated_at'))
        batch_op.drop_index(batch_op.f('ix_cost_center_status'))
        batch_op.drop_index(batch_op.f('ix_cost_center_parent_id'))
        batch_op.drop_index(batch_op.f('ix_cost_center_owner_id'))
        batch_op.drop_index('ix_cost_center_merged_into', sqlite_where=sa.text('merged_into IS NOT NULL'), postgresql_where=sa.text('merged_into IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_cost_center_legal_entity_id'))

    op.drop_table('cost_center')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_record_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
