"""Normalizers: pure functions that make two spellings of one thing compare equal.

Each takes a raw value and answers a plain lower-case ASCII form (or None when nothing
is left). Company legal forms come from cleanco (Inc, GmbH, S.p.A., KK, Oy, ...),
transliteration from anyascii, nicknames from the `nicknames` dataset. The costly ones
are memoized: a candidate's name is normalized once per process, not once per pair
(cleanco's own `basename` took about 0.2 ms a name, trying each of its 321 legal forms in
turn; `basename` here gives its answers, trying only the forms that end in the name's last word).
"""

import re
from functools import lru_cache

import phonenumbers
from anyascii import anyascii
from cleanco.clean import normalized, prepare_default_terms, strip_punct, strip_tail  # type: ignore[import-untyped]
from nicknames import NickNamer
from rapidfuzz.distance import OSA, Levenshtein


def _by_last_word() -> dict[str, list[tuple[int, int, list[str]]]]:
    """cleanco's legal forms (normalized word lists, in the order it tries them), by their
    last word: (position in that order, length, words)."""
    found: dict[str, list[tuple[int, int, list[str]]]] = {}
    for i, (size, words) in enumerate(prepare_default_terms()):
        if words:  # an empty form never removes anything
            found.setdefault(words[-1], []).append((i, size, words))
    return found


_FORMS = _by_last_word()


def basename(name: str) -> str:
    """A company name without its legal form: cleanco's `basename(name)` (suffixes only),
    answer for answer. cleanco tries every form in turn and removes each that ends the
    name at that moment (later forms then see the shorter name); only a form ending in the
    name's present last word can, so those are the only ones tried, in the same order."""
    name = strip_tail(name)
    parts = name.split()
    folded = name.lower() if name.isascii() else normalized(name)  # ASCII: NFKD and casefold are lower()
    nparts = [strip_punct(w) for w in folded.split()]
    after = 0  # cleanco's place in its list of forms
    while nparts:
        for i, size, words in _FORMS.get(nparts[-1], ()):
            if i >= after and nparts[-size:] == words:
                del nparts[-size:]
                del parts[-size:]
                after = i + 1
                break
        else:
            break
    return str(strip_tail(" ".join(parts)))


_PUNCT = re.compile(r"[^a-z0-9@ ]+")
_SPACES = re.compile(r"\s+")
_NICKNAMES = NickNamer()

# family-name particles: "van der Berg", "de la Cruz", "bin Laden" compare as their core
PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "lo",
        "bin",
        "ibn",
        "al",
        "el",
        "ter",
        "ten",
        "zu",
        "mac",
        "st",
    ]
)
# street words and their one short form, so "Main Street" and "Main St." agree
STREET_WORDS = {
    "street": "st", "str": "st", "strasse": "st", "road": "rd", "avenue": "ave", "av": "ave",
    "boulevard": "blvd", "drive": "dr", "lane": "ln", "place": "pl", "square": "sq", "court": "ct",
    "highway": "hwy", "parkway": "pkwy", "suite": "ste", "floor": "fl", "building": "bldg",
    "north": "n", "south": "s", "east": "e", "west": "w", "platz": "pl", "weg": "wg", "rue": "r",
    "via": "v", "calle": "c", "number": "no", "nr": "no",
}  # fmt: skip
# legal forms left at a name's end once cleanco has taken its one off ("Müller GmbH & Co. KG",
# "Huber e.K.", "Beispiel UG (haftungsbeschränkt)", "Volvo AB (publ)"), folded
LEGAL_TAIL = frozenset(["gmbh", "ag", "kg", "ug", "co", "mbb", "partg", "haftungsbeschrankt", "aktiengesellschaft",
                        "publ", "kgaa", "ohg", "gbr", "ltd", "inc", "llc", "corp", "plc", "ab", "oy", "bv", "nv", "sa",
                        "sarl", "sas", "spa", "srl", "pty", "llp", "lp", "mbh", "u", "bgb"])  # fmt: skip
# forms of two letters: e.K., e.V., i.L. (in Liquidation)
PAIRED_FORMS = (["e", "k"], ["e", "v"], ["i", "l"])
_STRASSE = re.compile(r"(?<=[a-z])(strasse|str)\b")  # Hauptstrasse -> haupt st


@lru_cache(maxsize=200_000)
def fold(text: str | None) -> str | None:
    """Transliterate to ASCII, lower-case, punctuation to spaces, one space between words."""
    if text is None:
        return None
    folded = _SPACES.sub(" ", _PUNCT.sub(" ", anyascii(text).lower())).strip()
    return folded or None


# what CRM users write into an account's name to mark it rather than name it: a retired
# duplicate ("ZZ Acme", "DO NOT USE - Acme", "Acme (old)"), or the department an import
# took it from ("Acme Ltd - Accounts Payable", "Acme GmbH Zentrale"): a prefix, a suffix or
# a word in brackets, never a word inside the name ("Head Office Supplies", "Triple XX")
MARKERS = re.compile(
    r"(?i)^\s*(?:do not use|nicht verwenden|dnu|z{2,}|x{2,})\b[\s:;,-]*"
    r"|[\s:;,/(-]+(?:do not use|nicht verwenden|dnu|accounts payable|head office|hauptsitz|zentrale|buchhaltung)\)?\s*$"
    r"|[(\[](?:old|alt|inactive|inaktiv|closed|dup|duplicate|dublette)[)\]]"
    r"|\s+(?:c/o|attn\b:?|attention:|z\.\s?hd\.?|zhd\.?)\s.*$"  # "Acme Ltd c/o Finance Dept", "z.Hd.": who to write to
)
# after a legal form, " - " and what follows is a place or a department: "Acme Inc - Seattle"
_AFTER_FORM = re.compile(r"(?i)^(.*\b(?:ltd|inc|llc|llp|plc|gmbh|corp|pty|limited|ag|kg|bv)\.?)\s+-\s.*$")
# the long legal forms, which a CRM's users mistype ("Linited") or cut at a field's length
# ("Limite", "Incorp"): a last word one edit from one, or its first five letters or more, is
# it (not "partners", "lim", "limit": words of a name, whatever forms they begin); "Limited
# Liability Company" is three
LONG_FORMS = ("limited", "incorporated", "corporation")
TYPO_FORMS = (*LONG_FORMS, "gesellschaft", "company", "liability", "kommanditgesellschaft", "aktiengesellschaft",
              "handelsgesellschaft")  # fmt: skip
# a German form written out: "Gesellschaft mit beschränkter Haftung", "Offene Handelsgesellschaft"
_WRITTEN_OUT = re.compile(r"\s(?:gesellschaft mit beschrankter haftung|offene handelsgesellschaft)$")


# and the short ones, mistyped: a last word without a vowel that is one's letters swapped
# ("TLD"), one's first two letters and a slip ("Lts", "LLX"), or four letters or more one
# edit from one with its first letter ("GNBH"); "Acme Inn", "Precision CNC", "Acme PwC",
# "Lawn TLC" keep their last word
SHORT_FORMS = ("ltd", "llc", "llp", "plc", "gmbh", "corp", "inc")
_VOWELS = frozenset("aeiouy")
CUT_FROM = 5  # a long form cut short keeps five letters or more ("Limite", "Incorp"): "Lim" and "Inco" are names


def _short_form_slip(word: str, form: str) -> bool:
    if sorted(word) == sorted(form):
        return word != form
    if len(word) == len(form) == 3:
        return word[:2] == form[:2] and word != form
    return len(word) >= 4 and word[0] == form[0] and OSA.distance(word, form, score_cutoff=1) == 1


def _long_form(word: str) -> bool:
    return len(word) >= 3 and (
        (len(word) >= CUT_FROM and word != "limit" and any(form.startswith(word) for form in LONG_FORMS))
        or (len(word) >= 6 and any(Levenshtein.distance(word, form, score_cutoff=1) <= 1 for form in TYPO_FORMS))
        or (not _VOWELS & set(word) and any(_short_form_slip(word, form) for form in SHORT_FORMS))
    )  # fmt: skip


@lru_cache(maxsize=200_000)
def company_name(name: str | None) -> str | None:
    """A company name without its legal form, "&"/"and", a leading "the", punctuation, or
    the markers CRM users add to a name ("ZZ", "DO NOT USE", "- Accounts Payable")."""
    if not name:
        return None
    plain = anyascii(name)
    unmarked = MARKERS.sub(" ", _AFTER_FORM.sub(r"\1", plain)).strip(" -,;:")  # anyascii made dashes "-"
    plain = unmarked if any(c.isalnum() for c in unmarked) else plain
    core = basename(plain.replace("&", " and ")) or name
    words = _WRITTEN_OUT.sub("", fold(core) or "").split()
    if words[:1] == ["the"] and len(words) > 1:
        words = words[1:]
    words = [w for w in words if w != "and"]
    # cleanco takes one form off the end: "GmbH & Co. KG" holds three
    after = ""  # the form last taken off: "u" (und) is one only before "Co."
    while len(words) > 1 and (words[-1] in LEGAL_TAIL or words[-2:] in PAIRED_FORMS or _long_form(words[-1])):
        if words[-1] == "u" and after != "co":
            break
        after = words[-1]
        words = words[:-2] if words[-2:] in PAIRED_FORMS else words[:-1]
    return " ".join(words) or fold(name)


def sorted_tokens(text: str | None) -> str | None:
    """Words in alphabetical order: "Consulting Acme" and "Acme Consulting" agree."""
    return " ".join(sorted(text.split())) if text else None


@lru_cache(maxsize=50_000)
def given_name_forms(name: str | None) -> frozenset[str]:
    """A given name and the formal names its nickname stands for: jon -> {jon, jonathan, john, ...}."""
    folded = fold(name)
    if not folded:
        return frozenset()
    first = folded.split()[0]
    return frozenset({first} | _NICKNAMES.canonicals_of(first))


def given_name(name: str | None) -> str | None:
    """The first given name, folded (initials keep their letter: "J." -> "j")."""
    folded = fold(name)
    return folded.split()[0] if folded else None


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _is_particles(word: str) -> bool:
    """A word made of particles only: "de", "dela", "vander"."""
    return word in PARTICLES or any(word.startswith(p) and _is_particles(word[len(p) :]) for p in PARTICLES)


@lru_cache(maxsize=200_000)
def family_name(name: str | None) -> str | None:
    """A family name without particles, also when written together: "van der Berg", "vanDerBerg" -> "berg";
    "O'Brien" -> "obrien"."""
    name = (name or "").replace("'", "").replace("\u2019", "").strip()
    if name[:1].islower():  # "deVries", "delaCruz"; not "MacDonald"
        name = _CAMEL.sub(" ", name)
    folded = fold(name)
    if not folded:
        return None
    words = folded.split()
    words = [w for w in words[:-1] if not _is_particles(w)] + words[-1:]
    return " ".join(words) or folded


@lru_cache(maxsize=200_000)
def street(line: str | None) -> str | None:
    """A street line with one short form per street word: "12 Main Street" -> "12 main st"."""
    folded = fold(line)
    if not folded:
        return None
    folded = _STRASSE.sub(r" \1", folded)
    return " ".join(STREET_WORDS.get(w, w) for w in folded.split())


def city(name: str | None) -> str | None:
    """A town's name folded, without a postcode written into it: "04160 Leipzig" -> "leipzig"."""
    words = [w for w in (fold(name) or "").split() if not any(c.isdigit() for c in w)]
    return " ".join(words) or None


_ZIP4 = re.compile(r"\s*(\d{5})[-\s]\d{4}\s*")


@lru_cache(maxsize=200_000)
def postcode(code: str | None) -> str | None:
    """Upper case without spaces or dashes: "sw1a 1aa" -> "SW1A1AA"; a US ZIP+4 is its ZIP
    ("02140-7847" -> "02140"), as most systems write it."""
    if code and (zip4 := _ZIP4.fullmatch(code)):
        return zip4[1]
    cleaned = re.sub(r"[^A-Za-z0-9]", "", code or "").upper()
    return cleaned or None


def email(address: str | None) -> str | None:
    return address.strip().lower() if address and "@" in address else None


def email_domain(address: str | None) -> str | None:
    folded = email(address)
    return folded.rsplit("@", 1)[1] if folded else None


@lru_cache(maxsize=200_000)
def website_domain(url: str | None) -> str | None:
    """The host of a website, without scheme, "www.", port or path: "HTTPS://www.Acme.com/x" -> "acme.com"."""
    if not url:
        return None
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower())
    host = re.split(r"[/?#:]", host, maxsplit=1)[0].removeprefix("www.").strip(".")
    return host if "." in host and " " not in host else None  # "No", "n/a", "none": not a site


# second-level labels under a country's ending: "acme.co.uk", "acme.com.au"
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ltd", "plc", "or", "ne", "gv"})


# hosts of many firms' sites: the name is the label before them ("joesplumbing.wixsite.com")
SHARED_HOSTS = frozenset({"wixsite", "blogspot", "myshopify", "wordpress", "github", "squarespace", "weebly",
                          "webflow", "netlify", "herokuapp", "godaddysites", "jimdo", "jimdofree", "business",
                          "site", "google", "sharepoint", "azurewebsites", "vercel"})  # fmt: skip


def site_name(domain: str | None) -> str | None:
    """A website domain's own name, without its ending or subdomain: "acme.co.uk",
    "acme.com" and "shop.acme.de" are all "acme" (one firm's sites in several countries);
    on a shared host, the firm's own label ("joesplumbing.wixsite.com": "joesplumbing")."""
    labels = (domain or "").split(".")
    if len(labels) < 2:
        return None
    labels.pop()  # the ending: com, de, uk
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels.pop()
    if labels[-1] in SHARED_HOSTS:
        labels.pop()
    return (labels[-1] or None) if labels else None


@lru_cache(maxsize=200_000)
def tax_id(value: str | None, country: str | None = None) -> str | None:
    """Letters and digits only, upper case, without a leading country prefix: "DE 811 907 980" -> "811907980"."""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", value or "").upper()
    if len(cleaned) > 2 and cleaned[:2].isalpha() and (country is None or cleaned[:2] == country.upper() or
                                                       cleaned[:2] == "EL"):  # fmt: skip
        cleaned = cleaned[2:]
    return cleaned or None


_NUMBER = re.compile(r"\d+")


# a unit within a building, not the building's number: "Suite 60, 43 Queen Lane", "3rd
# Floor, 131 Albert Rd", "Schillerstrasse 127, 3. Stock" (on folded text: no dots)
_UNIT = re.compile(
    r"\b\d+(?:st|nd|rd|th)?\s+(?:floor|fl|etage|stock|og|level)\b"
    r"|\b(?:suite|ste|floor|fl|level|unit|apt|apartment|room|rm|etage|stock|og|bldg|building)\s+(?:no\s+)?\w+"
)


@lru_cache(maxsize=200_000)
def street_name(line: str | None) -> str | None:
    """A street line's words without its numbers or a unit within the building: "12 Main
    Street" -> "main st", "Suite 60, 43 Queen Lane" -> "queen ln" (the house number is
    compared on its own, `street_number`)."""
    words = [w for w in _UNIT.sub(" ", street(line) or "").split() if not any(c.isdigit() for c in w)]
    return " ".join(words) or None


# a street's kind, which one system writes and another leaves out: "3250 W Adams St" / "3250 W. Adams"
STREET_KINDS = frozenset({"st", "ave", "rd", "blvd", "dr", "ln", "pl", "sq", "ct", "hwy", "pkwy", "wg", "way",
                          "ter", "tce", "cres", "gasse", "allee", "ring", "damm"})  # fmt: skip


@lru_cache(maxsize=200_000)
def street_core(line: str | None) -> tuple[str, frozenset[str], str] | None:
    """A street line's house number and street name without a unit, and apart the street's
    kinds and the unit: "3250 W. Adams" is ("3250 w adams", {}, ""), "Suite 6, 3250 W Adams
    Street" ("3250 w adams", {"st"}, "ste 6")."""
    number, name = street_number(line), street_name(line)
    words = (name or "").split()
    named = [w for w in words if w not in STREET_KINDS]
    unit = " ".join(_UNIT.findall(street(line) or ""))
    return (f"{number} {' '.join(named)}", frozenset(words) & STREET_KINDS, unit) if number and named else None


@lru_cache(maxsize=200_000)
def street_number(line: str | None) -> str | None:
    """The house number of a street line (its first run of digits, a suite or floor left
    out), or a number field's digits: "12 Main Street" -> "12", "Hauptstraße 5a" -> "5",
    "Floor 3, 131 Albert Rd" -> "131", "3rd Floor, 131 Albert Rd" -> "131", " 007 " -> "7"."""
    folded = fold(line) or ""
    found = _NUMBER.search(_UNIT.sub(" ", folded)) or _NUMBER.search(folded)
    return str(int(found.group())) if found else None


_EXTENSION = re.compile(r"(?i)\s*(?:ext\.?|x|#)\s*\d+\s*$")


AREA_DIGITS = 8  # a national number this long holds an area code and a line (Dublin's: 1 and seven digits)


@lru_cache(maxsize=200_000)
def phone(number: str | None) -> str | None:
    """A phone number's national digits, without country code, trunk "0" or extension:
    "+49 30 1234-567" and "030/1234567" (kept as sent, on a record without a country) are
    both "301234567", "+1 212 555 0134" is "2125550134". None for a placeholder
    ("000-000-0000", "555-555-5555", "123-456-7890"), which two firms' records share."""
    if not number:
        return None
    text = _EXTENSION.sub("", number).strip()
    if text.startswith(("+", "00")):
        try:
            digits = phonenumbers.national_significant_number(phonenumbers.parse("+" + text.lstrip("+0"), None))
        except phonenumbers.NumberParseException:
            digits = "".join(c for c in text if c.isdigit()).lstrip("0")
    else:
        digits = "".join(c for c in text if c.isdigit()).lstrip("0")
    if len(set(digits)) <= 2 or digits in "01234567890" or digits in "09876543210":
        return None  # one or two digits repeated, or a run: a form's filler, not a line
    return digits


def date(text: str | None) -> str | None:
    """A date's digits, "2011-03-12" -> "20110312" (a corrupted date keeps what digits it has)."""
    digits = "".join(c for c in text or "" if c.isdigit())
    return digits or None
