"""policy: the edit-right policy as versioned rows, seeded with the default; audit rows keep roles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


# the policy in force on a new hub: mdm/policy/default.csv as this release shipped it, written
# out here because a revision never reads today's files (a later domain's or field's lines come
# with its own revision)
DEFAULT_TEXT = """\
# mdm default edit-right policy: who may create, write, read and merge what.
#
#   p, SUBJECT, DOMAIN, FIELD, ACTION, EFFECT
#
# SUBJECT  system:<code> (an integration), user:<name> (a person) or role:<steward|admin|reader|finance>
# DOMAIN   customer, legal_entity, project, employee, cost_center, rate_card, or * for all
# FIELD    a field of the domain, or * for all; create and merge take *
# ACTION   create (bring a new golden record into being), write, read, merge
# EFFECT   allow, or deny (a deny beats the same subject's allows)
#
# Nothing is allowed unless a line allows it. When several systems may write one field,
# the one listed first wins survivorship (owner priority); a second system listed for an
# identifier (tax_id, code, employee_number) may send it so that its record links.

# ---- customer: CRM owns the commercial face, ERP the fiscal identity
p, system:salesforce, customer, *, create, allow
p, system:salesforce, customer, name, write, allow
p, system:salesforce, customer, legal_name, write, allow
p, system:netsuite, customer, legal_name, write, allow
p, system:salesforce, customer, website, write, allow
p, system:salesforce, customer, industry, write, allow
p, system:salesforce, customer, billing_address, write, allow
p, system:salesforce, customer, parent_id, write, allow
p, system:netsuite, customer, tax_id, write, allow
p, system:salesforce, customer, tax_id, write, allow
p, system:netsuite, customer, currency, write, allow
p, system:netsuite, customer, country, write, allow
p, system:salesforce, customer, country, write, allow
p, system:salesforce, customer, status, write, allow
p, system:netsuite, customer, status, write, allow

# ---- legal_entity, cost_center, rate_card: ERP owns them whole
p, system:netsuite, legal_entity, *, create, allow
p, system:netsuite, legal_entity, *, write, allow
p, system:netsuite, cost_center, *, create, allow
p, system:netsuite, cost_center, *, write, allow
p, system:netsuite, rate_card, *, create, allow
p, system:netsuite, rate_card, *, write, allow

# ---- project: PSA owns delivery, ERP the financial dimensions
p, system:certinia, project, *, create, allow
p, system:certinia, project, code, write, allow
p, system:netsuite, project, code, write, allow
p, system:certinia, project, name, write, allow
p, system:certinia, project, customer_id, write, allow
p, system:netsuite, project, customer_id, write, allow
p, system:certinia, project, manager_id, write, allow
p, system:certinia, project, billing_model, write, allow
p, system:certinia, project, start_date, write, allow
p, system:certinia, project, end_date, write, allow
p, system:certinia, project, status, write, allow
p, system:netsuite, project, legal_entity_id, write, allow
p, system:netsuite, project, cost_center_id, write, allow
p, system:netsuite, project, rate_card_id, write, allow
p, system:netsuite, project, contract_value, write, allow
p, system:netsuite, project, currency, write, allow

# ---- employee: HCM owns the person, ERP the cost rate
p, system:workday, employee, *, create, allow
p, system:workday, employee, *, write, allow
p, system:workday, employee, cost_rate, write, deny
p, system:netsuite, employee, cost_rate, write, allow
p, system:netsuite, employee, employee_number, write, allow

# ---- people: stewards do anything; others read, and cost_rate is for finance and stewards only
p, role:steward, *, *, create, allow
p, role:steward, *, *, write, allow
p, role:steward, *, *, merge, allow
p, role:steward, *, *, read, allow
p, role:finance, *, *, read, allow
p, role:reader, *, *, read, allow
p, role:reader, employee, cost_rate, read, deny
p, role:admin, *, *, read, allow
p, role:admin, employee, cost_rate, read, deny
"""

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    policy = op.create_table(
        "policy_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_policy_version")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "roles",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    op.bulk_insert(
        policy,
        [
            {
                "version": 1,
                "text": DEFAULT_TEXT,
                "created_at": datetime.now(UTC),
                "created_by": "mdm",
                "comment": "default policy",
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("roles")
    op.drop_table("policy_version")
