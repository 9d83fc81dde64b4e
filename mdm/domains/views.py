"""How an older contract version sees the canonical model, declared as data per domain and
converted by one machinery, both ways.

v1 saw one `tax_id`, one `billing_address`, `given_name`/`family_name`; the canonical
model holds identifiers, addresses of a kind and a structured name. A v1 field is a
*projection* of one canonical field: reading takes the part it names; writing replaces
that part and keeps the rest, so a value only v2 can see (a second identifier, a shipping
address, a phone, a preferred name) is never lost or changed by a v1 write.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mdm.domains.identifiers import BadIdentifier, identifier, slot, tax_scheme

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class IdentifierAs:
    """v1 `field` is one identifier: `scheme` "tax" is the country's tax scheme (EIN in the
    US, GST where so called, else VAT). It reads the identifier of that scheme and the
    record's country, else the `other:<field>` one a v1 write kept because its value did
    not pass the scheme's check; it writes there."""

    field: str
    scheme: str
    canonical: str = "identifiers"

    @property
    def fallback(self) -> str:
        return f"other:{self.field}"

    def _scheme(self, country: str | None) -> str:
        return tax_scheme(country) if self.scheme == "tax" else self.scheme

    def _index(self, elements: list[Record], country: str | None) -> int | None:
        wanted = self._scheme(country)
        for scheme in (wanted, self.fallback):
            for i, e in enumerate(elements):
                if e.get("scheme") == scheme and (country is None or e.get("country") in (None, country)):
                    return i
        return None

    def read(self, values: Record) -> Any:
        elements = values.get(self.canonical) or []
        i = self._index(elements, values.get("country"))
        return None if i is None else elements[i].get("value")

    def links_by(self, identifier: Record) -> bool:
        """Whether a linking identifier is the one this v1 field shows."""
        return identifier.get("scheme") in (self._scheme(identifier.get("country")), self.fallback)

    def lineage_name(self, values: Record) -> str:
        """The slot this field shows (`identifiers.vat.DE`), or the one a write would fill."""
        elements, country = values.get(self.canonical) or [], values.get("country")
        i = self._index(elements, country)
        element = elements[i] if i is not None else {"scheme": self._scheme(country), "country": country}
        return f"{self.canonical}.{slot('identifiers', element)}"

    def write(self, current: Any, value: Any, record: Record) -> Any:
        elements = list(current or [])
        country = record.get("country")
        i = self._index(elements, country)
        if i is not None:
            del elements[i]
        if value is not None and str(value).strip():  # v1 text of only spaces holds no identifier: none is kept
            element = {"scheme": self._scheme(country), "value": value, **({"country": country} if country else {})}
            try:
                identifier(element, country)
            except BadIdentifier:  # v1 took any text: kept, marked as not checked
                element["scheme"] = self.fallback
            # v1 has one tax number: the one it writes replaces whatever holds that slot too
            # (a record without a country may hold a VAT and an unchecked one; v1 shows the VAT)
            elements = [e for e in elements if slot("identifiers", e) != slot("identifiers", element)]
            elements.append(element)
        return elements or None


@dataclass(frozen=True, slots=True)
class AddressAs:
    """v1 `field` is the canonical address of `kind`, without its kind."""

    field: str
    kind: str
    canonical: str = "addresses"

    def read(self, values: Record) -> Any:
        found = next((a for a in values.get(self.canonical) or [] if a.get("kind") == self.kind), None)
        return None if found is None else {k: v for k, v in found.items() if k != "kind"}

    def lineage_name(self, values: Record) -> str:
        return f"{self.canonical}.{self.kind}"

    def write(self, current: Any, value: Any, record: Record) -> Any:
        elements = [a for a in current or [] if a.get("kind") != self.kind]
        if value is not None:
            elements.insert(0, {"kind": self.kind, **value})
        return elements or None


@dataclass(frozen=True, slots=True)
class PartAs:
    """v1 `field` is one part of a canonical object (`name.given`)."""

    field: str
    canonical: str
    part: str

    def read(self, values: Record) -> Any:
        whole = values.get(self.canonical)
        return whole.get(self.part) if isinstance(whole, dict) else None

    def lineage_name(self, values: Record) -> str:
        return self.canonical

    def write(self, current: Any, value: Any, record: Record) -> Any:
        whole = {k: v for k, v in (current or {}).items() if k != self.part}
        if value is not None:
            whole[self.part] = value
        return whole or None


Projection = IdentifierAs | AddressAs | PartAs


@dataclass(frozen=True, slots=True)
class View:
    """An older version's fields as projections of canonical ones; any other field is the same."""

    projections: tuple[Projection, ...]
    canonical: frozenset[str] = field(init=False)  # the canonical fields the projections show

    def __post_init__(self) -> None:
        object.__setattr__(self, "canonical", frozenset(p.canonical for p in self.projections))

    def _of(self, name: str) -> Projection | None:
        return next((p for p in self.projections if p.field == name), None)

    def names_in(self, names: Iterable[str]) -> list[str]:
        """Canonical field names for this version's names (the rights an edit needs)."""
        return list(dict.fromkeys(p.canonical if (p := self._of(n)) else n for n in names))

    def cleared_in(self, names: Iterable[str], values: Record) -> list[str]:
        """The overrides this version's names clear: a projected field's slot (`tax_id`:
        `identifiers.vat.DE` of a German record), or its canonical field."""
        return list(dict.fromkeys(p.lineage_name(values) if (p := self._of(n)) else n for n in names))

    def names_out(self, names: Iterable[str], values: Record) -> list[str]:
        """This version's names for canonical ones: a whole canonical field is each field
        projected from it, a slot the field that shows it; a slot this version cannot see
        (a DUNS number of a customer in v1) has no name here."""
        out: list[str] = []
        for n in names:
            head = n.split(".")[0]
            if head not in self.canonical:
                out.append(n)
                continue
            out += [p.field for p in self.projections if p.canonical == head and n in (head, p.lineage_name(values))]
        return list(dict.fromkeys(out))

    def error_field(self, name: str) -> str:
        """An error about a canonical part, named as this version names it."""
        for p in self.projections:
            if name == p.canonical or name.startswith((f"{p.canonical}.", f"{p.canonical}[")):
                if isinstance(p, PartAs):
                    if name.startswith(f"{p.canonical}.{p.part}") or name == p.canonical:
                        return p.field
                    continue
                return p.field
        return name

    def read(self, values: Record) -> Record:
        """A canonical record (or read view) as this version shows it."""
        out = {k: v for k, v in values.items() if k not in self.canonical}
        for p in self.projections:
            if p.canonical in values:
                out[p.field] = p.read(values)
        if "overrides" in values:
            out["overrides"] = sorted(self.names_out(values["overrides"], values))
        return out

    def lineage(self, entries: list[Record], values: Record) -> list[Record]:
        """Canonical lineage entries (per slot for lists) as this version's fields."""
        by_name = {e["field"]: e for e in entries}
        whole = {p.canonical for p in self.projections}
        out = [e for e in entries if e["field"].split(".")[0] not in whole]
        for p in self.projections:
            entry = by_name.get(p.lineage_name(values)) or by_name.get(p.canonical) or {"rule": "none"}
            # what others contributed to a slot is in the canonical shape: v2's lineage shows it
            out.append({**entry, "field": p.field, "value": p.read(values), "contributed": []})
        return out

    def match(self, match: Record | None) -> Record | None:
        """A link's evidence as this version knew it: an identifier it shows as a field is
        the key of that field and the country (`{"rule": "key", "fields": ["tax_id", "country"]}`)."""
        if match is None or match.get("rule") != "identifier":
            return match
        for p in self.projections:
            if isinstance(p, IdentifierAs) and p.links_by(match["identifier"]):
                fields = [p.field, "country"] if match["identifier"].get("country") else [p.field]
                return {"rule": "key", "fields": fields, "id": match["id"], "score": match["score"]}
        return match

    def write(self, payload: Record, current: Record | None, *, whole: bool) -> Record:
        """A payload of this version as canonical values. `current` holds the canonical
        values it changes (a source's last payload, a golden record); with `whole` (a source
        upsert) an absent projected field is absent in the source, else (a patch) untouched."""
        current = current or {}
        out = {k: v for k, v in payload.items() if self._of(k) is None}
        record = {"country": payload.get("country", current.get("country"))}
        for p in self.projections:
            if p.field not in payload and not whole:
                continue
            before = out[p.canonical] if p.canonical in out else current.get(p.canonical)
            out[p.canonical] = p.write(before, payload.get(p.field), record)
        if whole:
            out = {k: v for k, v in out.items() if v is not None}
        return out
