"""Identifiers, phones and addresses of the canonical model (v2): the schemes, how a value is
normalized and validated (python-stdnum, phonenumbers), which schemes link records, and the
slot each list element survives in.

A list field of these kinds is survived per slot, not whole: one identifier per (scheme,
country), one phone or address per kind, each slot taken from its owner (the policy's field
`identifiers.<scheme>`, `phones`, `addresses`). Pure functions of values.
"""

import re
from collections.abc import Callable
from typing import Any

import phonenumbers
from stdnum import get_cc_module, lei
from stdnum.au import abn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren
from stdnum.in_ import gstin
from stdnum.us import ein

SCHEMES = ("vat", "ein", "duns", "lei", "registration", "gst", "abn")
OTHER = re.compile(r"^other:[a-z][a-z0-9_-]{0,39}$")  # a firm's own scheme: kept, not validated, not linked
PHONE_KINDS = ("main", "mobile", "fax", "other")
ADDRESS_KINDS = ("billing", "shipping", "registered")
LIST_KINDS = ("identifiers", "phones", "addresses")  # field kinds survived per slot

# schemes whose equal values make two records one, and whether the country is part of the key
LINKS: dict[str, bool] = {"vat": True, "ein": False, "duns": False, "lei": False, "abn": False,
                          "gst": True, "registration": True, "other:tax_id": True,
                          "other:registration_number": True}  # fmt: skip
# schemes tied to one country: an identifier of them is of that country whatever it says
COUNTRY_OF = {"ein": "US", "abn": "AU"}
# a country's GST number, where it is not what stdnum calls the country's "vat"
GST = {"IN": gstin, "AU": abn}


class BadIdentifier(ValueError):
    """Why a value is not an identifier of its scheme; `part` names the part (value, country)."""

    def __init__(self, part: str, reason: str):
        super().__init__(reason)
        self.part = part


def _stdnum(module: Any, value: str) -> str:
    """The value as the scheme's module validates and compacts it, read without the
    separators people write (spaces, dashes, dots, slashes), which some modules refuse."""
    try:
        return str(module.validate(re.sub(r"[\s.\-/]", "", value)))
    except ValidationError as exc:
        raise BadIdentifier("value", f"not a valid {module.__name__.removeprefix('stdnum.')} number: {exc}") from None


def _vat(value: str, country: str | None) -> str:
    if country is None:
        raise BadIdentifier("country", "a VAT number needs its country")
    if _eu(country):
        prefixed = value if value[:2].isalpha() else f"{'EL' if country == 'GR' else country}{value}"
        return _stdnum(eu_vat, prefixed)
    module = get_cc_module(country.lower(), "vat")
    compact = _stdnum(module, value) if module is not None else _compact(value)  # no checksum known: unchecked
    return compact if compact[:2].isalpha() else f"{country}{compact}"  # always with its country, as VIES writes it


def _eu(country: str) -> bool:
    return country.lower() in eu_vat.MEMBER_STATES or country == "GR"


def _gst(value: str, country: str | None) -> str:
    if country is None:
        raise BadIdentifier("country", "a GST number needs its country")
    module = GST.get(country) or get_cc_module(country.lower(), "vat")
    return _stdnum(module, value) if module is not None else _compact(value)


def _duns(value: str, country: str | None) -> str:
    digits = re.sub(r"[\s.-]", "", value)
    if not re.fullmatch(r"\d{9}", digits):
        raise BadIdentifier("value", "a DUNS number is nine digits")
    return digits


def _registration(value: str, country: str | None) -> str:
    if country == "FR":
        return _stdnum(siren, value)
    return " ".join(value.upper().split())  # commercial registers have no one format or checksum


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value).upper()


def _other(value: str, country: str | None) -> str:
    return value.strip()


NORMALIZE: dict[str, Callable[[str, str | None], str]] = {
    "vat": _vat,
    "ein": lambda v, c: _stdnum(ein, v),
    "duns": _duns,
    "lei": lambda v, c: _stdnum(lei, v),
    "registration": _registration,
    "gst": _gst,
    "abn": lambda v, c: _stdnum(abn, v),
}


def known_scheme(scheme: str) -> bool:
    return scheme in NORMALIZE or bool(OTHER.match(scheme))


def identifier(element: dict[str, Any], default_country: str | None) -> dict[str, Any]:
    """One identifier normalized: its value compact and checked, its country set where the
    scheme implies one. BadIdentifier says which part is wrong."""
    scheme = element.get("scheme", "")
    if not known_scheme(scheme):
        raise BadIdentifier("scheme", f"unknown scheme '{scheme}' (one of {', '.join(SCHEMES)}, or other:<name>)")
    country = COUNTRY_OF.get(scheme) or element.get("country") or default_country
    if scheme in COUNTRY_OF and element.get("country") not in (None, COUNTRY_OF[scheme]):
        raise BadIdentifier("country", f"an {scheme.upper()} is of {COUNTRY_OF[scheme]}")
    value = NORMALIZE.get(scheme, _other)(str(element.get("value", "")), country)
    if not value:
        raise BadIdentifier("value", "must not be empty")
    out = {"scheme": scheme, "value": value}
    if country is not None and scheme not in ("duns", "lei"):
        out["country"] = country
    return out


PHONE_DIGITS = 6  # fewer national digits are an extension or a slip, not a number to keep


def phone(element: dict[str, Any], default_country: str | None) -> dict[str, Any]:
    """A phone number in E.164, read with the record's country as the default region.

    A number phonenumbers reads but does not take as valid (a local number without its area
    code, a new or fictional range) is kept in E.164 form too when it has a possible
    length, and as sent otherwise, as is one it cannot read (a national number on a record
    without a country), rather than refusing the record it came with: connectors send the
    numbers their users typed, and the digits still tell two records of one firm apart from
    the rest. Only what holds too few digits to be a number at all is a problem."""
    number = str(element.get("number", "")).strip()
    spelt = phonenumbers.convert_alpha_characters_in_number(number)  # "1-800-FLOWERS" has eleven digits
    if sum(c.isdigit() for c in number) < 3 or sum(c.isdigit() for c in spelt) < PHONE_DIGITS:
        raise BadIdentifier("number", f"not a phone number: fewer than {PHONE_DIGITS} digits")
    try:
        parsed = phonenumbers.parse(number, default_country)
    except phonenumbers.NumberParseException:
        return {**element, "number": number}
    if not phonenumbers.is_possible_number(parsed):
        return {**element, "number": number}
    return {**element, "number": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)}


def tax_scheme(country: str | None) -> str:
    """The scheme of a country's tax number (what v1's `tax_id` is): EIN in the US, GST
    where the tax is called so, else VAT."""
    if country == "US":
        return "ein"
    if country in ("AU", "IN", "NZ", "CA", "SG"):
        return "gst"
    return "vat"


# ---- slots: the unit a list field survives in ------------------------------------------


def slot(kind: str, element: dict[str, Any]) -> str:
    """The slot an element fills: `vat.DE`, `duns`, `billing`, `mobile`."""
    if kind == "identifiers":
        return ".".join(filter(None, (element["scheme"], element.get("country"))))
    return str(element["kind"])


def changed_slots(field: str, kind: str, before: list[Any] | None, after: list[Any] | None) -> dict[str, Any]:
    """What an edit of a list field changes, per slot: {`identifiers.vat.DE`: the new element,
    or None where the edit leaves the slot empty}; slots it leaves as they were are absent."""
    old = {slot(kind, e): e for e in before or ()}
    new = {slot(kind, e): e for e in after or ()}
    return {f"{field}.{s}": new.get(s) for s in sorted(old.keys() | new.keys()) if old.get(s) != new.get(s)}


def slot_policy_field(field: str, kind: str, element: dict[str, Any]) -> str:
    """The policy field that owns an element: `identifiers.vat` (`identifiers.other` for a
    firm's own scheme); `phones` and `addresses` as wholes."""
    if kind == "identifiers":
        scheme = element.get("scheme", "")
        if scheme in SCHEMES:
            return f"{field}.{scheme}"
        return f"{field}.other" if OTHER.match(scheme) else field
    return field


def slot_owner_field(field: str, kind: str, slot_name: str) -> str:
    """The policy field that owns a slot by its name (`vat.DE` of identifiers: `identifiers.vat`)."""
    if kind == "identifiers":
        return slot_policy_field(field, kind, {"scheme": slot_name.split(".")[0]})
    return field


def policy_fields(field: str, kind: str) -> tuple[str, ...]:
    """The policy fields a list field has beside itself (an owner per identifier scheme)."""
    return tuple(f"{field}.{s}" for s in (*SCHEMES, "other")) if kind == "identifiers" else ()


def slot_order(kind: str) -> Callable[[str], tuple[int, str]]:
    """Elements of a golden list in a stable order: by scheme or kind as declared."""
    order = {"identifiers": (*SCHEMES,), "phones": PHONE_KINDS, "addresses": ADDRESS_KINDS}[kind]

    def key(name: str) -> tuple[int, str]:
        head = name.split(".")[0]
        return (order.index(head) if head in order else len(order), name)

    return key


def link_keys(element: dict[str, Any]) -> tuple[str, str, str] | None:
    """(scheme, country, value) of an identifier that links records, or None."""
    scheme = element.get("scheme", "")
    if scheme not in LINKS:
        return None
    return (scheme, element.get("country", "") if LINKS[scheme] else "", element.get("value", ""))
