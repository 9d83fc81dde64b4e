"""Types v2 adds to v1's: identifiers, phones, addresses of a kind, a person's name.

Shapes only; the hub normalizes and checks values per scheme (python-stdnum, phonenumbers).
"""

from typing import Annotated, Literal

from msgspec import Meta, Struct

from contracts.v1.common import NO_NUL, CountryCode, ShortText, Text

Scheme = Annotated[
    str,
    Meta(
        pattern=r"^(vat|ein|duns|lei|registration|gst|abn|other:[a-z][a-z0-9_-]{0,39})$",
        description="vat, ein, duns, lei, registration (commercial register), gst, abn, or other:<name>",
        examples=["vat"],
    ),
]


class Identifier(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A registry number: normalized and checked per scheme; VAT, GST and register numbers
    are of a country (the record's, unless given), EIN of the US, ABN of Australia."""

    scheme: Scheme
    value: Annotated[str, Meta(min_length=1, max_length=100, pattern=NO_NUL, examples=["DE811907980"])]
    country: CountryCode | None = None


class Phone(Struct, kw_only=True, forbid_unknown_fields=True):
    """A phone number, answered in E.164 where it can be read (one that cannot, as sent: a phone
    never refuses its record); read in the record's country unless it has a +prefix."""

    kind: Literal["main", "mobile", "fax", "other"] = "main"
    number: Annotated[str, Meta(min_length=3, max_length=40, pattern=NO_NUL, examples=["+49 30 1234567"])]


class PostalAddress(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    kind: Literal["billing", "shipping", "registered"]
    line1: Text | None = None
    line2: Text | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, Meta(max_length=20, pattern=NO_NUL)] | None = None
    country: CountryCode | None = None


class PersonName(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    given: ShortText
    family: ShortText
    preferred: ShortText | None = None


Identifiers = Annotated[list[Identifier], Meta(max_length=20, description="at most one per scheme and country")]
Phones = Annotated[list[Phone], Meta(max_length=10, description="at most one per kind")]
Addresses = Annotated[list[PostalAddress], Meta(max_length=3, description="at most one per kind")]
