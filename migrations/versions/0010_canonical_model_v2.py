"""canonical model v2: customers and legal entities hold identifiers, phones and addresses
of a kind, employees a structured name and phones. Moves every v1 value across: golden
columns, source payloads, overrides, lineage, history, and the policy's field names; fills
`golden_identifier`, the index of linking identifiers.

Self-contained (revisions never import mdm): the v1 rules are copied here as they stood.
A tax ID is the identifier of its country's tax scheme (EIN in the US; GST in AU, IN, NZ,
CA, SG; else VAT) when python-stdnum accepts it, else `other:tax_id`, kept verbatim; a
register number is `registration` (FR's checked as SIREN), else `other:registration_number`.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:30:00
"""

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
GST_COUNTRIES = ("AU", "IN", "NZ", "CA", "SG")
EU = ("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK").split()
LINKS = {"vat": True, "ein": False, "duns": False, "lei": False, "abn": False, "gst": True,
         "registration": True, "other:tax_id": True, "other:registration_number": True}  # fmt: skip


def _tax_scheme(country: str | None) -> str:
    return "ein" if country == "US" else "gst" if country in GST_COUNTRIES else "vat"


def _checked(scheme: str, value: str, country: str | None) -> str | None:
    """The value as stdnum compacts it, or None when it fails its scheme's check."""
    from stdnum import get_cc_module
    from stdnum.au import abn
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError
    from stdnum.fr import siren
    from stdnum.in_ import gstin
    from stdnum.us import ein

    module: Any
    if scheme == "ein":
        module = ein
    elif scheme == "registration":
        if country != "FR":
            return " ".join(value.upper().split())
        module = siren
    elif country is None:
        return None
    elif scheme == "vat" and country in EU:
        module = eu_vat
        value = value if value[:2].isalpha() else f"{'EL' if country == 'GR' else country}{value}"
    elif scheme == "gst":
        module = {"IN": gstin, "AU": abn}.get(country) or get_cc_module(country.lower(), "vat")
    else:
        module = get_cc_module(country.lower(), "vat")
    if module is None:
        checked = re.sub(r"[\s.\-/]", "", value).upper()
    else:
        try:
            checked = str(module.validate(re.sub(r"[\s.\-/]", "", value)))  # as people write it
        except ValidationError:
            return None
    if scheme == "vat" and not checked[:2].isalpha():  # a VAT number always with its country, as VIES writes it
        checked = f"{country}{checked}"
    return checked


def _identifier(field: str, scheme: str, value: Any, country: str | None) -> dict[str, Any] | None:
    if not isinstance(value, str) or not value.strip():
        return None
    scheme = _tax_scheme(country) if scheme == "tax" else scheme
    checked = _checked(scheme, value, country)
    if checked is None:
        scheme, checked = f"other:{field}", value.strip()
    return {"scheme": scheme, "value": checked, **({"country": country} if country else {})}


def _slot(element: dict[str, Any]) -> str:
    return ".".join(filter(None, (element["scheme"], element.get("country"))))


# v1 field -> (canonical field, how); per domain
MOVES = {
    "customer": {"tax_id": ("identifiers", "tax"), "billing_address": ("addresses", "billing")},
    "legal_entity": {"registration_number": ("identifiers", "registration"), "tax_id": ("identifiers", "tax")},
    "employee": {"given_name": ("name", "given"), "family_name": ("name", "family")},
}
NEW_COLUMNS = {
    "customer": ("identifiers", "phones", "addresses"),
    "legal_entity": ("identifiers", "phones", "addresses"),
    "employee": ("name", "phones"),
}
OLD_INDEXES = {"customer": "ix_customer_key1", "legal_entity": "ix_legal_entity_key1"}


def convert(domain: str, record: dict[str, Any]) -> dict[str, Any]:
    """A v1 record (payload, history data) in the v2 model; other keys as they are."""
    moves = MOVES[domain]
    out = {k: v for k, v in record.items() if k not in moves}
    country = record.get("country")
    for old, (new, how) in moves.items():
        if old not in record:
            continue
        value = record[old]
        if new == "identifiers":
            element = _identifier(old, how, value, country)
            if element is not None:
                out["identifiers"] = [*(out.get("identifiers") or []), element]
        elif new == "addresses":
            if isinstance(value, dict):
                out["addresses"] = [{"kind": how, **value}]
        elif value is not None:
            out["name"] = {**(out.get("name") or {}), how: value}
    if "overrides" in record and isinstance(record["overrides"], list):  # a read view's list of names
        out["overrides"] = sorted({moves[n][0] if n in moves else n for n in record["overrides"]})
    return out


def _overrides(domain: str, overrides: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Overrides of v1 fields become overrides of what they show: the slot of a list field
    (`identifiers.vat.DE`, `addresses.billing`; None where the steward emptied it), else the
    whole field."""
    moves = MOVES[domain]
    country = values.get("country")
    out = {k: v for k, v in overrides.items() if k not in moves}
    for old, (new, how) in moves.items():
        if old not in overrides:
            continue
        if new == "identifiers":
            scheme = _tax_scheme(country) if how == "tax" else how
            found = [e for e in values.get("identifiers") or () if e["scheme"] in (scheme, f"other:{old}")]
            slot = _slot(found[0] if found else {"scheme": scheme, "country": country})
            out[f"identifiers.{slot}"] = {**overrides[old], "value": found[0] if found else None}
        elif new == "addresses":
            found = [a for a in values.get("addresses") or () if a.get("kind") == how]
            out[f"addresses.{how}"] = {**overrides[old], "value": found[0] if found else None}
        else:
            out[new] = {**overrides[old], "value": values.get(new)}
    return out


def _lineage(domain: str, lineage: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    moves = MOVES[domain]
    out = {k: v for k, v in lineage.items() if k not in moves}
    for old, (new, how) in moves.items():
        if old not in lineage:
            continue
        if new == "identifiers":
            for element in values.get("identifiers") or ():
                if element["scheme"] in (how, _tax_scheme(element.get("country")), f"other:{old}"):
                    out.setdefault(f"identifiers.{_slot(element)}", lineage[old])
        elif new == "addresses":
            out[f"addresses.{how}"] = lineage[old]
        else:
            out.setdefault("name", lineage[old])
    return out


def _json(value: Any) -> Any:
    """A JSON column's value: the drivers answer a raw SELECT with its text."""
    return json.loads(value) if isinstance(value, str) else value


def _column(name: str, value: Any) -> Any:
    return _json(value) if name == "billing_address" else value  # the one v1 column held as JSON


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "golden_identifier",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("scheme", sa.String(length=50), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("domain", "scheme", "country", "value", "golden_id", name=op.f("pk_golden_identifier")),
    )
    op.create_index("ix_golden_identifier_golden", "golden_identifier", ["golden_id"])
    op.create_index("ix_golden_identifier_value", "golden_identifier", ["value"])
    for domain, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(domain) as batch:
            for name in columns:
                batch.add_column(sa.Column(name, JSON, nullable=True))
    links = []
    for domain, moves in MOVES.items():
        old = list(moves)
        rows = bind.execute(sa.text(f"SELECT id, country, merged_into, overrides, lineage, {', '.join(old)} "
                                    f"FROM {domain}")).mappings().all()  # fmt: skip
        for row in rows:
            values = convert(domain, {"country": row["country"], **{n: _column(n, row[n]) for n in old}})
            new = {n: values.get(n) for n in NEW_COLUMNS[domain] if n != "phones"}
            overrides = _overrides(domain, _json(row["overrides"]) or {}, values)
            lineage = _lineage(domain, _json(row["lineage"]) or {}, values)
            sets = ", ".join(f"{n} = :{n}" for n in new)
            bind.execute(
                sa.text(
                    f"UPDATE {domain} SET {sets}, overrides = :overrides, lineage = :lineage WHERE id = :id"
                ).bindparams(*(sa.bindparam(n, type_=JSON) for n in (*new, "overrides", "lineage"))),
                {**new, "overrides": overrides, "lineage": lineage, "id": row["id"]},
            )
            if row["merged_into"] is None:
                for e in values.get("identifiers") or ():
                    if e["scheme"] in LINKS:
                        country = (e.get("country") or "") if LINKS[e["scheme"]] else ""
                        links.append({"domain": domain, "scheme": e["scheme"], "country": country,
                                      "value": e["value"][:100], "golden_id": row["id"]})  # fmt: skip
        for table, key in (("source_record", "payload"), ("golden_history", "data")):
            id_cols = "system, source_id" if table == "source_record" else "id"
            found = bind.execute(sa.text(f"SELECT {id_cols}, {key} FROM {table} WHERE domain = :d"), {"d": domain})
            for r in found.mappings().all():
                data = convert(domain, _json(r[key]))
                where = "system = :system AND source_id = :source_id" if table == "source_record" else "id = :id"
                params = {k: r[k] for k in r if k != key}
                bind.execute(
                    sa.text(f"UPDATE {table} SET {key} = :v WHERE domain = :d AND {where}").bindparams(
                        sa.bindparam("v", type_=JSON)
                    ),
                    {"v": data, "d": domain, **params},
                )
    unique = {(r["domain"], r["scheme"], r["country"], r["value"], r["golden_id"]): r for r in links}
    if unique:
        bind.execute(sa.text("INSERT INTO golden_identifier (domain, scheme, country, value, golden_id) "
                             "VALUES (:domain, :scheme, :country, :value, :golden_id)"), list(unique.values()))  # fmt: skip
    for domain, moves in MOVES.items():
        with op.batch_alter_table(domain) as batch:
            if domain in OLD_INDEXES:
                batch.drop_index(OLD_INDEXES[domain])
            for name in moves:
                batch.drop_column(name)
    _rename_policy_fields(bind)


# the policy a new hub starts with from this release (0003's seed, untouched, becomes this)
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
p, system:salesforce, customer, addresses, write, allow
p, system:salesforce, customer, phones, write, allow
p, system:salesforce, customer, parent_id, write, allow
p, system:netsuite, customer, identifiers.vat, write, allow
p, system:netsuite, customer, identifiers.ein, write, allow
p, system:netsuite, customer, identifiers.gst, write, allow
p, system:salesforce, customer, identifiers.duns, write, allow
p, system:salesforce, customer, identifiers, write, allow
p, system:netsuite, customer, identifiers, write, allow
p, system:netsuite, customer, currency, write, allow
p, system:netsuite, customer, country, write, allow
p, system:salesforce, customer, country, write, allow
p, system:salesforce, customer, status, write, allow
p, system:netsuite, customer, status, write, allow

# ---- legal_entity: ERP owns it whole
p, system:netsuite, legal_entity, *, create, allow
p, system:netsuite, legal_entity, *, write, allow

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

# ---- cost_center: ERP owns it whole
p, system:netsuite, cost_center, *, create, allow
p, system:netsuite, cost_center, *, write, allow

# ---- rate_card: ERP owns it whole
p, system:netsuite, rate_card, *, create, allow
p, system:netsuite, rate_card, *, write, allow

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


def _rename_policy_fields(bind: Any) -> None:
    """The policy in force names v1 fields: a new version names the canonical ones. A hub
    still on 0003's seed (never changed) takes this release's default in its place."""
    latest = bind.execute(
        sa.text("SELECT version, text, created_by, comment FROM policy_version ORDER BY version DESC LIMIT 1")
    ).first()
    if latest is None:
        return
    if (latest.version, latest.created_by, latest.comment) == (1, "mdm", "default policy"):
        bind.execute(sa.text("UPDATE policy_version SET text = :t WHERE version = 1"), {"t": DEFAULT_TEXT})
        return
    lines, seen, changed = [], set(), False
    for line in latest.text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 6 and parts[0] == "p" and parts[2] in MOVES and parts[3] in MOVES[parts[2]]:
            canonical = MOVES[parts[2]][parts[3]][0]
            line, changed = ", ".join([*parts[:3], canonical, *parts[4:]]), True
        key = line.strip()
        if key.startswith("p,") and key in seen:
            continue
        seen.add(key)
        lines.append(line)
    if changed:
        bind.execute(
            sa.text("INSERT INTO policy_version (version, text, created_at, created_by, comment) "
                    "VALUES (:v, :t, CURRENT_TIMESTAMP, 'migration', :c)"),
            {"v": latest.version + 1, "t": "\n".join(lines) + "\n",
             "c": "0010: v1 fields renamed to the canonical model's (tax_id -> identifiers, ...)"},
        )  # fmt: skip


def downgrade() -> None:
    raise NotImplementedError("the v2 model keeps values v1 has no place for; restore a backup to go back")
