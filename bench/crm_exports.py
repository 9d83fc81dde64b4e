"""Synthetic CRM account exports with duplicates and ground truth.

Generates what a Salesforce/HubSpot *account* export of a professional-services firm looks like after years of
manual entry by different sales reps and several imports: English-speaking (GB/US/IE/AU) or German-speaking
(DE/AT/CH) companies, each entered one to five times. Duplicates are corrupted copies of the entity's base record:
typos, case, legal-form variants, transliterated umlauts, abbreviations, acronyms, glued or split words, extra words
("DO NOT USE"), street abbreviations, other house numbers, postcodes one digit off, reformatted or other phone
numbers, website variants, blanked fields and, at "hard", moved companies. Hard negatives are built in: distinct
companies with equal or similar names (branches in other cities, sister companies abroad sharing a website
domain, "Schmidt"/"Schmitt" in the same city).

Written independently, without looking at the hub's matching code, match rules or the other benchmark
generators, so it cannot be tuned to them. Offline and seeded; stdlib only.

    python bench/crm_exports.py --level hard --language de --out /tmp/crm [--no-website] [--seed N] [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import random
import string
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

COLUMNS = ["account_id", "name", "street", "postcode", "city", "country", "phone", "website", "duns", "industry"]


@dataclass
class Export:
    name: str  # e.g. "medium-en"
    rows: list[dict[str, str]]  # one dict per CSV row; keys are COLUMNS; "" for empty
    entity: list[str]  # entity[i] = true entity id of rows[i]


@dataclass(frozen=True)
class Level:
    singleton: float  # share of entities with one row
    name_ops: tuple[float, ...]  # weights of 0, 1, 2, ... name corruptions per duplicate
    field_ops: dict[str, float]  # chance that a duplicate's field is corrupted
    sparse: dict[str, float]  # chance that a field is empty in any row (after corruption)
    has: dict[str, float]  # chance that an entity has a value at all
    moved: float  # chance that a duplicate carries a newer address and phone
    legacy: float  # chance that a duplicate came in through an upper-case ASCII import
    siblings: float  # share of entities that are hard negatives of an earlier entity


@dataclass(frozen=True)
class Country:
    code: str
    lang: str  # language of company names and streets
    dial: str
    trunk: str  # national prefix, "" for NANP
    sub_len: int  # subscriber digits; 0: ten-digit national number minus the area code
    tld: str
    legal: str  # "Form:weight" entries, "_" for a space, "-" for none
    mobile: str  # mobile prefixes, "|"-separated
    cities: str  # "City/postcode template/area code" entries, ";"-separated (templates: see _fill)


def _rates(spec: str) -> dict[str, float]:
    return {k: float(v) for k, v in (item.split("=") for item in spec.split())}


def _table(spec: str) -> dict[str, str]:
    """Parse "key=value key=value", "_" standing for a space."""
    return {k.replace("_", " "): v.replace("_", " ") for k, v in (item.split("=", 1) for item in spec.split())}


def _words(spec: str) -> list[str]:
    return spec.split()


# fmt: off
LEVELS = {
    "medium": Level(
        singleton=0.66, name_ops=(0.20, 0.40, 0.30, 0.10), moved=0.0, legacy=0.04, siblings=0.10,
        field_ops=_rates("street=.35 postcode=.10 city=.15 phone=.50 website=.45 duns=.15 industry=.15"),
        sparse=_rates("name=.005 street=.04 postcode=.05 city=.02 country=.03 phone=.08 website=.10 duns=.12 "
                      "industry=.15"),
        has=_rates("website=.88 duns=.75 phone=.97"),
    ),
    "hard": Level(
        singleton=0.62, name_ops=(0.05, 0.25, 0.35, 0.25, 0.10), moved=0.08, legacy=0.08, siblings=0.15,
        field_ops=_rates("street=.60 postcode=.25 city=.30 phone=.70 website=.60 duns=.25 industry=.30"),
        sparse=_rates("name=.10 street=.15 postcode=.18 city=.06 country=.10 phone=.22 website=.28 duns=.30 "
                      "industry=.35"),
        has=_rates("website=.75 duns=.55 phone=.92"),
    ),
}
COUNTRIES = {c.code: c for c in (
    Country("DE", "de", "49", "0", 7, "de", "GmbH:55 AG:8 KG:5 GmbH_&_Co._KG:10 UG_(haftungsbeschränkt):5 OHG:3 -:14",
            "151|160|171|176", "Berlin/10###|12###|13###/30;Hamburg/20###|22###/40;München/80###|81###/89;"
            "Köln/50###|51###/221;Frankfurt am Main/60###/69;Stuttgart/70###/711;Düsseldorf/40###/211;"
            "Leipzig/04###/341;Dresden/01###/351;Hannover/30###/511;Nürnberg/90###/911;Bremen/28###/421;"
            "Essen/45###/201;Dortmund/44###/231;Mannheim/68###/621;Bonn/53###/228;Münster/48###/251;"
            "Freiburg im Breisgau/79###/761;Würzburg/97###/931;Göttingen/37###/551"),
    Country("AT", "de", "43", "0", 7, "at", "GmbH:65 AG:8 KG:7 OG:5 -:15", "650|664|676",
            "Wien/1##0/1;Graz/80#0/316;Linz/40#0/732;Salzburg/50#0/662;Innsbruck/60#0/512;Klagenfurt/90#0/463"),
    Country("CH", "de", "41", "0", 7, "ch", "AG:45 GmbH:40 -:15", "76|78|79",
            "Zürich/80##/44;Basel/40##/61;Bern/30##/31;Luzern/60##/41;St. Gallen/90##/71;Genève/12##/22;Zug/63##/41"),
    Country("GB", "en", "44", "0", 0, "co.uk", "Ltd:55 Limited:15 PLC:5 LLP:10 -:15", "7700|7911|7400",
            "London/EC# #@@|SW# #@@|W1@ #@@|N1 #@@|SE1 #@@/20;Manchester/M# #@@/161;Birmingham/B# #@@/121;"
            "Leeds/LS# #@@/113;Bristol/BS# #@@/117;Edinburgh/EH# #@@/131;Glasgow/G# #@@/141;Reading/RG# #@@/118;"
            "Cambridge/CB# #@@/1223;Nottingham/NG# #@@/115"),
    Country("US", "en", "1", "", 7, "com", "Inc:35 LLC:35 Corp:10 Co:5 -:15", "",
            "New York/100##/212;Boston/021##/617;Chicago/606##/312;San Francisco/941##/415;Austin/787##/512;"
            "Seattle/981##/206;Denver/802##/303;Atlanta/303##/404"),
    Country("IE", "en", "353", "0", 7, "ie", "Ltd:55 Limited:15 DAC:10 -:20", "85|86|87",
            "Dublin/D0# @#@#|D1# @#@#/1;Cork/T12 @#@#/21;Galway/H91 @#@#/91;Limerick/V94 @#@#/61"),
    Country("AU", "en", "61", "0", 8, "com.au", "Pty_Ltd:60 Ltd:15 -:25", "4##",
            "Sydney/20##/2;Melbourne/30##/3;Brisbane/40##/7;Perth/60##/8;Adelaide/50##/8"),
)}
MARKETS = {"en": "GB:45 US:30 IE:12 AU:9 DE:4", "de": "DE:68 AT:15 CH:12 GB:3 US:2"}
SIBLING_COUNTRIES = {"en": ("GB", "US", "IE", "AU"), "de": ("DE", "AT", "CH")}
INDUSTRY = {  # one picklist per export language, same order
    "en": "Consulting|Technology|Financial Services|Legal|Accounting|Manufacturing|Healthcare|Retail|Construction|"
          "Real Estate|Media|Transportation|Energy|Education|Insurance|Hospitality|Telecommunications|Trades|"
          "Government|Other",
    "de": "Beratung|IT & Software|Finanzdienstleistungen|Recht|Steuerberatung|Industrie|Gesundheitswesen|Handel|"
          "Bauwesen|Immobilien|Medien|Logistik|Energie|Bildung|Versicherungen|Gastgewerbe|Telekommunikation|"
          "Handwerk|Öffentlicher Sektor|Sonstige",
}
# word lists; "Word:industry index", "_" for a space
SECTORS = {
    "en": "Consulting:0 Partners:0 Advisory:0 Associates:0 Recruitment:0 Technologies:1 Software:1 Systems:1 Digital:1 "
          "Analytics:1 Solutions:1 Capital:2 Financial:2 Wealth_Management:2 Legal:3 Law:3 Accountants:4 Accounting:4 "
          "Engineering:5 Manufacturing:5 Health:6 Retail:7 Construction:8 Builders:8 Properties:9 Estates:9 Media:10 "
          "Design:10 Marketing:10 Logistics:11 Freight:11 Energy:12 Training:13 Learning:13 Insurance:14 "
          "Hospitality:15 Telecom:16 Networks:16 Holdings:19 Group:19 Services:19",
    "de": "Beratung:0 Consulting:0 Unternehmensberatung:0 Personalberatung:0 Software:1 IT-Service:1 Informatik:1 "
          "Datentechnik:1 Digital:1 Vermögensverwaltung:2 Finanzberatung:2 Rechtsanwälte:3 Steuerberatung:4 "
          "Treuhand:4 Maschinenbau:5 Technik:5 Anlagenbau:5 Medizintechnik:6 Pflegedienst:6 Handel:7 "
          "Handelsgesellschaft:7 Bau:8 Bauunternehmung:8 Immobilien:9 Hausverwaltung:9 Medien:10 Werbeagentur:10 "
          "Design:10 Logistik:11 Spedition:11 Transporte:11 Energietechnik:12 Solar:12 Akademie:13 "
          "Versicherungsmakler:14 Gastronomie:15 Kommunikation:16 Holding:19 Gruppe:19 Dienstleistungen:19 Service:19",
}
NAME_PATTERNS = {  # D descriptor, S sector word(s), P and Q surnames, C craft or trade; "_" for a space
    "en": "D_S:55 P_S:15 P_&_Sons:10 P_&_Q:10 P_Associates:3 P_&_Partners:2 The_D_Group:5",
    "de": "P_S:30 D_S:30 P_&_Partner:10 C_P:18 P_Q_S:7 D_Gruppe:5",
}
CRAFTS = ("Bäckerei:17 Metzgerei:17 Elektro:17 Autohaus:7 Ingenieurbüro:5 Steuerkanzlei:4 Architekturbüro:8 "
          "Malerbetrieb:17 Zahnarztpraxis:6 Kanzlei:3 Druckerei:10 Schreinerei:17 Reisebüro:15")
CRAFT_WORDS = {c.split(":")[0] for c in CRAFTS.split()}
DESCRIPTORS = {
    "en": _words("Brightwater Summit Atlantic Pinnacle Northgate Oakridge Redwood Bluestone Keystone Meridian Harbour "
                 "Crescent Silverline Granite Evergreen Horizon Beacon Sterling Westfield First Premier Global United "
                 "Apex Vertex Cornerstone Riverside Lakeside Highland Kingsway Greenfield Clearview Northstar Trinity "
                 "Phoenix Vanguard Ironbridge Ashford Castlegate Thistle"),
    "de": _words("Nordlicht Alpenblick Rheintal Elbtal Sonnenhof Adler Falke Lindenhof Grünwald Silberstreif Morgenrot "
                 "Weitblick Ostwind Westend Südstern Kompass Leuchtturm Horizont Optimum Vektor Primus Novum Zenit "
                 "Kristall Fortis Alpha Delta Merkur Atlas Hansa Isar Spree Weser Donau Bavaria Saxonia Quadrat "
                 "Eichenhof"),
}
SURNAMES = {
    "en": _words("Miller Smith Johnson Taylor Brown Wilson Evans Thomas Roberts Walker Wright Murphy O'Brien Kelly "
                 "Walsh Byrne Campbell Stewart Harris Clarke Lewis Hughes Edwards Green Hall Wood Jackson White Martin "
                 "Thompson Anderson Morgan Cooper Turner Parker Collins Bennett Price Foster Fletcher"),
    "de": _words("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
                 "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Werner "
                 "Krause Lehmann Köhler Maier Huber Jäger Fuchs Möller Günther Vogel Böhm Keller Weiß Frank"),
}
SIMILAR = _table("Schmidt=Schmitt|Schmid Meyer=Meier|Maier|Mayer Maier=Meyer|Mayr Müller=Möller|Muller "
                 "Hoffmann=Hofmann Hofmann=Hoffmann Schulz=Schultz|Schulze Krause=Kraus Lange=Lang Weber=Wever "
                 "Schröder=Schröter Wagner=Wegner Fischer=Fischler Keller=Kellner Smith=Smyth Clarke=Clark "
                 "Thompson=Thomson Walsh=Welsh Brown=Browne Green=Greene Harris=Harrison Collins=Collings "
                 "Martin=Martins Evans=Evens Taylor=Tayler Miller=Millar Wood=Woods")
STREETS = {  # German: "-" ends a person's name ("Friedrich-Ebert-Straße"), "_" a town ("Berliner Straße")
    "de": _words("Haupt Bahnhof Schiller Goethe Garten Kirch Linden Markt Wald Berg Schul Mühlen Rosen Birken "
                 "Industrie Post Friedrich-Ebert- Konrad-Adenauer- Albert-Einstein- Karl-Marx- Berliner_ Hamburger_ "
                 "Kaiser-Wilhelm- Uhland"),
    "en": _words("High Church Station Victoria King Queen Park Mill London Market Bridge George Albert Castle Manor "
                 "Grosvenor Chapel Mount Baker Harbour Oxford Princes"),
    "us": _words("Main Oak Maple Washington Madison Lexington Park Pine Elm Market Cedar Lake Hill Sunset Fifth Third"),
}
STREET_TYPES = {"de": "straße:60 weg:12 allee:7 platz:6 ring:6 damm:4 gasse:5",
                "en": "Street:40 Road:30 Lane:10 Avenue:8 Way:5 Place:3 Square:2 Terrace:2",
                "us": "Street:45 Avenue:30 Boulevard:10 Drive:10 Road:5"}
STREET_ABBR = _table("straße=str.|strasse|str|-Str. Straße=Str.|Strasse|str. strasse=str.|straße "
                     "Strasse=Str.|Straße platz=pl. gasse=g. _Street=_St|_St.|_Str _Road=_Rd|_Rd. "
                     "_Avenue=_Ave|_Av.|_Ave. _Lane=_Ln "
                     "_Boulevard=_Blvd|_Blvd. _Drive=_Dr|_Dr. _Place=_Pl _Square=_Sq _Terrace=_Tce")
LEGAL_VARIANTS = _table(
    "GmbH=Gesellschaft_mit_beschränkter_Haftung|Gmbh|G.m.b.H.|GMBH|mbH AG=Aktiengesellschaft|A.G.|Ag "
    "KG=Kommanditgesellschaft|K.G. GmbH_&_Co._KG=GmbH_&_Co_KG|GmbH_u._Co._KG|GmbH&Co.KG|KG|GmbH "
    "e.K.=eK|e._K.|eingetragener_Kaufmann|e.Kfm. OHG=oHG|offene_Handelsgesellschaft OG=KG|GmbH e.U.=eU|e._U. "
    "UG_(haftungsbeschränkt)=UG|UG_(haftungsbeschraenkt)|UG_haftungsbeschränkt|GmbH "
    "PartG_mbB=PartGmbB|Partnerschaftsgesellschaft_mbB|Partnerschaft GbR=G.b.R.|BGB-Gesellschaft "
    "Ltd=Limited|Ltd.|LTD|,_Ltd Limited=Ltd|Ltd.|LIMITED PLC=plc|Public_Limited_Company|Ltd LLP=L.L.P.|llp|Ltd "
    "Inc=Inc.|Incorporated|,_Inc.|INC LLC=L.L.C.|,_LLC|Limited_Liability_Company|Inc Co=Company|Co. "
    "Corp=Corp.|Corporation|Inc Pty_Ltd=Pty._Ltd.|Proprietary_Limited|Pty_Limited|Ltd DAC=Ltd|D.A.C.")
ABBR = _table(
    "Consulting=Cons.|Consult. Technologies=Tech|Techn.|Technology Solutions=Sol.|Solns Management=Mgmt|Mgt. "
    "Services=Svcs|Serv. Associates=Assoc.|Assocs Engineering=Eng.|Engg Partners=Ptnrs|Partner Properties=Props "
    "Accountants=Accts Holdings=Hldgs Group=Grp Beratung=Ber.|Bertg. Unternehmensberatung=U-Beratung|Unternehmensber. "
    "Steuerberatung=StB|Steuerber. Rechtsanwälte=RAe|Rechtsanw. Immobilien=Immob.|Immo Dienstleistungen=DL|Dienstl. "
    "Ingenieurbüro=Ing.-Büro|Ing.büro Hausverwaltung=HV|Hausverw. Handelsgesellschaft=Handelsges.|HG "
    "Maschinenbau=Masch.bau|Maschinenb. Partner=Partn.|Ptr. Architekturbüro=Arch.-Büro")
MORPHEMES = _words("licht blick tal hof wald stern wind turm beratung bau technik verwaltung water stone ridge gate "
                   "wood field view line bridge way side land star fest berg")
EXTRA = {  # "{}" the name, "{city}" the city
    "en": ("{} - Head Office", "{} (old)", "DO NOT USE - {}", "{} DO NOT USE", "ZZ {}", "{} (duplicate)", "{} HQ",
           "{} - Accounts Payable", "[inactive] {}", "{} - {city}", "{} Group", "{} c/o Finance Dept"),
    "de": ("{} - Zentrale", "{} (alt)", "NICHT VERWENDEN - {}", "{} NICHT VERWENDEN", "ZZ {}", "{} (Dublette)",
           "{} - Niederlassung {city}", "{} Hauptsitz", "{} z.Hd. Buchhaltung", "{} (inaktiv)", "{} i.L.",
           "{} - {city}"),
}
CITY_ALIASES = _table(
    "München=Munich|Muenchen|München-Schwabing Köln=Cologne|Koeln|Köln-Ehrenfeld Nürnberg=Nuernberg|Nuremberg "
    "Frankfurt_am_Main=Frankfurt|Frankfurt_a.M.|Frankfurt/Main|Ffm Düsseldorf=Duesseldorf|Dusseldorf "
    "Wien=Vienna|Wien-Favoriten Zürich=Zurich|Zuerich Genève=Genf|Geneva|Geneve Münster=Muenster "
    "Freiburg_im_Breisgau=Freiburg|Freiburg_i._Br. New_York=New_York_City|NYC|New_York,_NY|Manhattan "
    "San_Francisco=SF|San_Fransisco St._Gallen=St_Gallen|Sankt_Gallen Luzern=Lucerne Göttingen=Goettingen "
    "Würzburg=Wuerzburg Dublin=Dublin_2|Co._Dublin Cork=Co._Cork Sydney=Sydney_NSW|North_Sydney "
    "Berlin=Berlin-Mitte|Berlin-Charlottenburg|Berlin-Kreuzberg Hamburg=Hamburg-Altona|Hamburg-Eimsbüttel "
    "London=City_of_London|Westminster|London,_UK")
PATHS = ("/kontakt", "/impressum", "/en/", "/about-us", "/index.html", "/home", "/de/startseite")
WEB_STYLES = ("www.{}", "https://{}/", "http://www.{}", "{}", "https://www.{}", "https://www.{}/", "http://{}")
UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "è": "e", "é": "e"}
KEYS = {"de": ("qwertzuiop", "asdfghjkl", "yxcvbnm"), "en": ("qwertyuiop", "asdfghjkl", "zxcvbnm")}
US_PHONES = ("+1 ({a}) {x}-{y}", "({a}) {x}-{y}", "{a}-{x}-{y}", "{a}.{x}.{y}", "+1 {a} {x} {y}", "1-{a}-{x}-{y}",
             "{a}{x}{y}", "+1{a}{x}{y}", "({a}) {x}-{y}")
PHONES = ("+{c} {a} {g}", "+{c} ({t}){a} {g}", "{t}{a} {g}", "{t}{a}/{s}", "({t}{a}) {g}", "00{c} {a} {s}",
          "+{c}{a}{s}", "{t}{a}-{s}", "({t}){a} {p}")  # {g}: grouped by style, {p}: "123 45 67"
# fmt: on


def _weighted(rng: random.Random, spec: str) -> str:
    """Pick from "item:weight item:weight" ("_" stands for a space, "-" for nothing)."""
    items = [s.rsplit(":", 1) for s in spec.split()]
    pick = rng.choices([i for i, _ in items], [float(w) for _, w in items])[0]
    return "" if pick == "-" else pick.replace("_", " ")


def _fill(rng: random.Random, template: str) -> str:
    """Fill a template: "#" digit, "%" non-zero digit, "@" letter, "|" separates alternatives."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    t = rng.choice(template.split("|"))
    pick = {"#": string.digits, "%": string.digits[1:], "@": letters}
    return "".join(rng.choice(pick[c]) if c in pick else c for c in t)


def translit(s: str, drop: bool = False) -> str:
    return "".join(("ss" if c == "ß" else UMLAUTS[c][0]) if drop and c in UMLAUTS else UMLAUTS.get(c, c) for c in s)


def typo(rng: random.Random, s: str, lang: str) -> str:
    """One keyboard typo: delete, double, transpose or hit a neighbouring key; the first letter is spared."""
    idx = [i for i, c in enumerate(s) if c.isalpha()][1:]
    if len(idx) < 2:
        return s
    i, op = rng.choice(idx), rng.random()
    if op < 0.25:
        return s[:i] + s[i + 1 :]
    if op < 0.45:
        return s[:i] + s[i] + s[i:]
    if op < 0.7 and i + 1 < len(s) and s[i + 1].isalpha() and s[i + 1] != s[i]:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    row = next((r for r in KEYS[lang] if s[i].lower() in r), "")
    if row:
        j = row.index(s[i].lower())
        c = row[j + rng.choice([-1, 1])] if 0 < j < len(row) - 1 else row[1 if j == 0 else j - 1]
    else:
        c = rng.choice(string.ascii_lowercase)
    return s[:i] + (c.upper() if s[i].isupper() else c) + s[i + 1 :]


def digit_off(rng: random.Random, s: str) -> str:
    idx = [i for i, c in enumerate(s) if c.isdigit()]
    if not idx:
        return s
    i = rng.choice(idx)
    return s[:i] + rng.choice([d for d in string.digits if d != s[i]]) + s[i + 1 :]


@dataclass
class Company:
    core: list[str]  # name words without the legal form
    legal: str
    country: str
    industry: int
    city: str = ""
    postcode: str = ""
    street: str = ""  # canonical street name, without house number
    house: str = ""
    unit: str = ""
    area: str = ""
    sub: str = ""
    domain: str = ""
    duns: str = ""
    styles: list[int] = field(default_factory=list)  # phone, website, duns format, street abbreviated

    @property
    def name(self) -> str:
        legal = self.legal if not self.legal or self.legal.startswith(",") else f" {self.legal}"  # ", Inc."
        return " ".join(self.core) + legal


def make_core(rng: random.Random, lang: str) -> tuple[list[str], int]:
    """Name words without legal form, e.g. ["Brightwater", "Consulting"], and the industry index."""
    sector, ind = rng.choice(SECTORS[lang].split()).rsplit(":", 1)
    craft, craft_ind = rng.choice(CRAFTS.split()).split(":")
    p, q = rng.sample(SURNAMES[lang], 2)
    words = {"D": [rng.choice(DESCRIPTORS[lang])], "S": sector.replace("_", " ").split(), "P": [p], "Q": [q]}
    pattern = _weighted(rng, NAME_PATTERNS[lang]).split()
    core = [w for token in pattern for w in words.get(token, [craft] if token == "C" else [token])]
    other = rng.choice([5, 7, 8, 17] if "Sons" in pattern else [0, 0, 3, 4])  # "& Sons" build, "& Partner" advise
    industry = int(ind) if "S" in pattern else int(craft_ind) if "C" in pattern else other
    return core, industry


def make_legal(rng: random.Random, core: list[str], country: Country) -> str:
    if country.lang == "de" and core[0] in CRAFT_WORDS and rng.random() < 0.5:
        return {"DE": "e.K.", "AT": "e.U."}.get(country.code, "")
    if core[-1] == "Partner" and rng.random() < 0.6:
        return rng.choice(["PartG mbB", "GbR", ""])
    if (core[-1] in ("Partners", "Associates") or "&" in core) and rng.random() < 0.5:
        return "LLP" if country.code in ("GB", "US") else ""
    return _weighted(rng, country.legal)


def make_domain(rng: random.Random, core: list[str], country: Country) -> str:
    words = [translit(w).lower() for w in core if w not in ("&", "The")]
    words = ["".join(c for c in w if c.isalnum()) for w in words]
    slug = rng.choice(["".join(words), "-".join(words), words[0] + ("-" + words[1][:4] if len(words) > 1 else "")])
    return slug + "." + (country.tld if rng.random() < 0.75 else rng.choice(["com", "com", "net", "eu", "io"]))


def locate(rng: random.Random, co: Company, not_city: str = "") -> None:
    """Give the company a (new) address and main phone number in its country."""
    country = COUNTRIES[co.country]
    cities = [c.split("/") for c in country.cities.split(";")]
    weights = [len(cities) - i for i in range(len(cities))]
    while True:
        city, template, area = rng.choices(cities, weights)[0]
        if city != not_city or len(cities) == 1:
            break
    kind = "us" if co.country == "US" else country.lang
    name = rng.choice(STREETS[kind])
    if kind == "de":
        stype = _weighted(rng, STREET_TYPES["de"])  # "Hauptstraße", "Friedrich-Ebert-Straße", "Berliner Straße"
        street = name + stype if name[-1] not in "-_" else name.replace("_", " ") + stype.capitalize()
        street = rng.choice(["Am Markt", "Im Gewerbepark", "An der Mühle"]) if rng.random() < 0.05 else street
        street = street.replace("ß", "ss") if co.country == "CH" else street
    else:
        street = f"{name} {_weighted(rng, STREET_TYPES[kind])}"
    co.city, co.postcode, co.area, co.street = city, _fill(rng, template), area, street
    co.house = str(rng.randint(1, 9999 if kind == "us" else 160)) + ("a" if rng.random() < 0.07 else "")
    co.unit = ""
    if rng.random() < 0.2:
        co.unit = rng.choice([", Suite %00", ", Floor %"] if kind == "us" else ["Unit %, ", "Suite %0, "])
        co.unit = "" if kind == "de" else _fill(rng, co.unit)
    sub_len = country.sub_len or 10 - len(area)
    co.sub = str(rng.randint(2, 9)) + "".join(rng.choice(string.digits) for _ in range(sub_len - 1))


def new_company(rng: random.Random, language: str, lvl: Level) -> Company:
    country = COUNTRIES[_weighted(rng, MARKETS[language])]
    core, industry = make_core(rng, country.lang)
    co = Company(core, make_legal(rng, core, country), country.code, industry)
    locate(rng, co)
    co.domain = make_domain(rng, core, country) if rng.random() < lvl.has["website"] else ""
    co.duns = str(rng.randint(10**8, 10**9 - 1)) if rng.random() < lvl.has["duns"] else ""
    co.sub = co.sub if rng.random() < lvl.has["phone"] else ""
    co.styles = [rng.randrange(27), rng.randrange(len(WEB_STYLES)), rng.choices([0, 1, 2], [80, 15, 5])[0]]
    co.styles.append(int(rng.random() < 0.3))
    return co


def sibling(rng: random.Random, base: Company, language: str) -> Company:
    """A different company that looks like `base`: branch elsewhere, sister company abroad, or a near-namesake."""
    co = replace(base, core=list(base.core), styles=list(base.styles))
    co.duns = str(rng.randint(10**8, 10**9 - 1)) if base.duns or rng.random() < 0.5 else ""
    kind = rng.choices(["branch", "group", "similar"], [35, 30, 35])[0]
    if kind == "branch":  # same name, other city, own DUNS; often the same website
        locate(rng, co, not_city=base.city)
        co.domain = base.domain if rng.random() < 0.6 else ""
    elif kind == "group":  # same core name in another country with that country's legal form; shared domain
        co.country = rng.choice([c for c in SIBLING_COUNTRIES[language] if c != base.country])
        co.legal = make_legal(rng, co.core, COUNTRIES[co.country])
        locate(rng, co)
    else:  # a different firm in the same city whose name differs by one word or a letter or two
        locate(rng, co)
        co.city, co.area, co.postcode = base.city, base.area, base.postcode[:-2] + co.postcode[-2:]
        lang = COUNTRIES[co.country].lang
        i = next((i for i, w in enumerate(co.core) if w in SIMILAR), -1)
        if i >= 0:
            co.core[i] = rng.choice(SIMILAR[co.core[i]].split("|"))
        else:  # another sector word, descriptor or surname
            sectors = [w.rsplit(":", 1)[0] for w in SECTORS[lang].split() if "_" not in w]
            pools = (sectors, DESCRIPTORS[lang], SURNAMES[lang])
            cands = [(i, p) for i, w in enumerate(co.core) for p in pools if w in p] or [(0, SURNAMES[lang])]
            i, pool = rng.choice(cands)
            co.core[i] = rng.choice([w for w in pool if w != co.core[i]])
        co.domain = make_domain(rng, co.core, COUNTRIES[co.country]) if base.domain else ""
    co.styles = [rng.randrange(27), rng.randrange(len(WEB_STYLES)), co.styles[2], int(rng.random() < 0.3)]
    return co


def corrupt_name(rng: random.Random, co: Company, n: int, lang: str) -> str:
    """Apply n distinct corruptions to the company name (structural ones first, then string-level)."""
    core, legal, name = list(co.core), co.legal, co.name
    words = [w for w in core if w not in ("&", "The")]
    applies = {
        "typo": 3.0, "case": 2.0, "legal": 4.0, "translit": 2.0 * any(c in UMLAUTS for c in name),
        "abbrev": 2.0 * any(w in ABBR or len(w) >= 7 for w in words), "acronym": 0.5 * (len(words) >= 2),
        "glue": 1.0 * (len(core) >= 2), "split": 1.0 * any(len(w) >= 8 for w in words),
        "swap": 1.0 * (len(core) >= 2 and not ("&" in core and core[-1] in ("Sons", "Partner", "Partners"))),
        "extra": 1.5, "amp": 1.0 * any(w in ("&", "and", "und") for w in core), "truncate": 0.5 * (len(name) >= 20),
    }  # fmt: skip
    ops: set[str] = set()
    while len(ops) < n and any(applies.values()):
        op = rng.choices(list(applies), list(applies.values()))[0]
        ops.add(op)
        applies[op] = 0.0
        if op == "acronym":  # nothing structural left to do on "FS Ltd"
            applies.update(abbrev=0.0, split=0.0, glue=0.0, swap=0.0, amp=0.0)
    if "acronym" in ops:
        core = ["".join("&" if w == "&" else w[0].upper() for w in core if w != "The")]
    long_words = [i for i, w in enumerate(core) if w in ABBR or len(w) >= 7]
    if "abbrev" in ops and long_words:
        w = core[i := rng.choice(long_words)]
        core[i] = rng.choice(ABBR[w].split("|")) if w in ABBR else w[: rng.randint(3, 5)] + "."
    if "split" in ops and (long_words := [i for i, w in enumerate(core) if len(w) >= 8]):
        w = core[i := rng.choice(long_words)]
        cut = next((len(w) - len(m) for m in MORPHEMES if w.lower().endswith(m) and len(w) - len(m) >= 3), 0)
        cut = cut or rng.randint(3, max(3, len(w) - 3))
        core[i : i + 1] = [w[:cut], w[cut:].capitalize()] if rng.random() < 0.7 else [f"{w[:cut]}-{w[cut:]}"]
    if "swap" in ops:
        if "&" in core:  # "Taylor & Wilson" -> "Wilson & Taylor"
            i = core.index("&")
            core = [*core[i + 1 :], "&", *core[:i]]
        elif core[0] == "The":  # "The Summit Group" -> "Summit Group, The"
            core = [*core[1:-1], core[-1] + ",", "The"]
        else:  # "Bäckerei Weber" -> "Weber, Bäckerei"; "Summit Consulting" -> "Consulting Summit"
            core = [core[-1] + ("," if rng.random() < 0.5 else ""), *core[:-1]]
    if "amp" in ops:
        alt = {"en": ("and", "+", "&"), "de": ("und", "u.", "+", "&")}[lang]
        core = [rng.choice([a for a in alt if a != w]) if w in ("&", "and", "und") else w for w in core]
    if "legal" in ops:
        if not legal:
            legal = {"GB": "Ltd", "US": "Inc", "IE": "Ltd", "AU": "Pty Ltd", "CH": "AG"}.get(co.country, "GmbH")
        elif rng.random() < 0.4:
            legal = ""
        else:
            legal = rng.choice(LEGAL_VARIANTS.get(legal, legal).split("|"))
    if "glue" in ops:
        glued = "".join(core)
        core = [glued.upper() if rng.random() < 0.5 else glued]
    name = replace(co, core=core, legal=legal).name
    if "translit" in ops:
        name = translit(name, drop=rng.random() < 0.3)
    if "typo" in ops:
        name = typo(rng, name, lang)
    if "truncate" in ops and len(name) > 12:
        name = name[: rng.randint(max(8, len(name) // 2), len(name) - 2)].rstrip()
    if "extra" in ops:
        name = rng.choice(EXTRA[lang]).replace("{}", name).replace("{city}", co.city)
    if "case" in ops:
        name = rng.choice([name.upper(), name.upper(), name.lower(), name.title()])
    return name


def render(rng: random.Random, co: Company, styles: list[int], language: str) -> dict[str, str]:
    """One row from a company record and its display styles (phone, website, DUNS format, street abbreviated)."""
    country = COUNTRIES[co.country]
    street = co.street
    if styles[3]:
        pat, alts = next(((p, a) for p, a in STREET_ABBR.items() if p in street), ("", ""))
        street = street.replace(pat, rng.choice(alts.split("|")), 1) if pat else street
    us = co.country == "US"  # "Unit 4, 12 High Street", "350 Main Street, Suite 400", "Hauptstraße 12"
    address = f"{street} {co.house}" if country.lang == "de" else f"{'' if us else co.unit}{co.house} {street}"
    address = (address + (co.unit if us else "")).strip()
    phone, s, d = "", co.sub, co.duns
    if s and co.country == "US":
        phone = US_PHONES[styles[0] % len(US_PHONES)].format(a=co.area, x=s[:3], y=s[3:])
    elif s:
        p = f"{s[:-4]} {s[-4:-2]} {s[-2:]}"
        grouped = [s, p, f"{s[: len(s) // 2]} {s[len(s) // 2 :]}"][styles[0] // len(PHONES) % 3]
        fmt = PHONES[styles[0] % len(PHONES)]
        phone = fmt.format(c=country.dial, t=country.trunk, a=co.area, g=grouped, s=s, p=p)
    duns = d and [d, f"{d[:2]}-{d[2:5]}-{d[5:]}", f"{d[:2]} {d[2:5]} {d[5:]}"][styles[2]]
    host, _, path = co.domain.partition("/")
    website = host and WEB_STYLES[styles[1]].format(host)
    website = f"{website.rstrip('/')}/{path}" if path else website
    industry = INDUSTRY[language].split("|")[co.industry] if co.industry >= 0 else ""
    return {"name": co.name, "street": address, "postcode": co.postcode, "city": co.city, "country": co.country,
            "phone": phone, "website": website, "duns": duns, "industry": industry}  # fmt: skip


def duplicate(rng: random.Random, base: Company, lvl: Level, language: str) -> dict[str, str]:
    """A corrupted copy of the base record, as another rep or an import entered it."""
    co = replace(base, core=list(base.core))
    styles, ops, lang = list(base.styles), lvl.field_ops, language
    if rng.random() < lvl.moved:  # the firm moved: newer address and switchboard
        locate(rng, co, not_city=base.city)
        co.sub = co.sub if base.sub else ""
    if rng.random() < ops["phone"] and co.sub:
        r = rng.random()
        if r < 0.55:
            styles[0] = rng.randrange(27)
        elif r < 0.75:  # direct line instead of the switchboard
            co.sub = co.sub[:-2] + f"{rng.randrange(100):02d}"
        elif r < 0.88 and COUNTRIES[co.country].mobile:  # the owner's mobile
            co.area, co.sub = _fill(rng, COUNTRIES[co.country].mobile), str(rng.randint(10**6, 10**7 - 1))
        elif r < 0.93:
            co.sub = digit_off(rng, co.sub)
        else:
            co.sub = ""
    if rng.random() < ops["website"] and co.domain:
        r = rng.random()
        styles[1] = rng.randrange(len(WEB_STYLES)) if r < 0.65 else styles[1]
        if 0.65 <= r < 0.85:
            co.domain += rng.choice(PATHS)
        elif 0.85 <= r < 0.93:
            co.domain = co.domain.split(".", 1)[0] + (".com" if not co.domain.endswith(".com") else ".net")
        elif r >= 0.93:
            co.domain = co.domain.upper()
    if rng.random() < ops["duns"] and co.duns:
        r = rng.random()
        co.duns = "" if r < 0.6 else co.duns if r < 0.9 else digit_off(rng, co.duns)
        styles[2] = rng.choices([0, 1, 2], [60, 30, 10])[0] if 0.6 <= r < 0.9 else styles[2]
    if rng.random() < ops["industry"]:
        co.industry = rng.choice([19, rng.randrange(20)]) if rng.random() < 0.6 else -1
    if rng.random() < ops["postcode"] and co.postcode:
        if rng.random() < 0.6:
            co.postcode = digit_off(rng, co.postcode)
        else:
            pre = {"DE": "D-", "AT": "A-", "CH": "CH-"}.get(co.country)
            pc = co.postcode
            alt = {"US": pc + "-" + _fill(rng, "####"), "GB": pc.replace(" ", "").lower(), "IE": pc.replace(" ", "")}
            co.postcode = pre + pc if pre else alt.get(co.country, digit_off(rng, pc))
    if rng.random() < ops["city"] and co.city:
        r = rng.random()
        if r < 0.4:
            co.city = typo(rng, co.city, lang)
        elif r < 0.8 and co.city in CITY_ALIASES:
            co.city = rng.choice(CITY_ALIASES[co.city].split("|"))
        elif r < 0.8:
            co.city = f"{co.postcode} {co.city}" if co.country in ("DE", "AT", "CH") else co.city.upper()
        else:
            co.city = co.city.upper() if r < 0.9 else translit(co.city, drop=True)
    if rng.random() < ops["street"]:
        r = rng.random()
        if r < 0.4:
            styles[3] = 1 - styles[3]
        elif r < 0.6:
            h = int("".join(c for c in co.house if c.isdigit()))
            co.house = rng.choice([str(h + 2), str(max(1, h - 2)), f"{h}a", f"{h}-{h + 2}", ""])
        elif r < 0.75:
            co.street = typo(rng, co.street, lang)
        elif r < 0.87:
            if COUNTRIES[co.country].lang == "de":
                co.house += rng.choice([", 2. OG", ", Haus B", ", 3. Stock"])
            else:
                us = co.country == "US"
                co.unit = co.unit or rng.choice([", Suite 200", ", Ste 100"] if us else ["Floor 3, ", "Unit 7, "])
        elif r < 0.93:
            box = _fill(rng, "Postfach %# ## ##" if COUNTRIES[co.country].lang == "de" else "PO Box %###")
            co.street, co.house, co.unit = box, "", ""
        else:
            co.street = co.street.upper()
    n = rng.choices(range(len(lvl.name_ops)), lvl.name_ops)[0]
    row = render(rng, co, styles, language)
    row["name"] = corrupt_name(rng, co, n, lang)
    if rng.random() < lvl.legacy:  # legacy import: upper-case ASCII
        for k in ("name", "street", "city"):
            row[k] = translit(row[k]).upper()
    return row


def generate(level: str, language: str, *, rows: int = 3000, seed: int = 0, website: bool = True) -> Export:
    if level not in LEVELS or language not in MARKETS:
        raise ValueError(f"level must be one of {list(LEVELS)}, language one of {list(MARKETS)}")
    lvl, rng = LEVELS[level], random.Random(f"crm-exports/{seed}/{level}/{language}")
    companies: list[Company] = []
    seen: set[tuple[str, str]] = set()
    domains: set[str] = set()
    out: list[tuple[dict[str, str], str]] = []
    while len(out) < rows:
        for _ in range(50):
            base = rng.choice(companies) if companies and rng.random() < lvl.siblings else None
            co = sibling(rng, base, language) if base else new_company(rng, language, lvl)
            if (co.name.lower(), co.city) not in seen:
                break
        # unrelated firms never share a domain; branches and sister companies may
        if co.domain and co.domain in domains and (base is None or co.domain != base.domain):
            stem, tld = co.domain.split(".", 1)
            co.domain = f"{stem}-{translit(co.city).lower().replace(' ', '')}.{tld}"
        seen.add((co.name.lower(), co.city))
        domains.add(co.domain)
        companies.append(co)
        size = 1 if rng.random() < lvl.singleton else rng.choices([2, 3, 4, 5], [55, 25, 12, 8])[0]
        for k in range(min(size, rows - len(out))):
            row = render(rng, co, co.styles, language) if k == 0 else duplicate(rng, co, lvl, language)
            for col, p in lvl.sparse.items():
                keep_anchor = col in ("street", "city") and not row["name"]
                row[col] = "" if rng.random() < p and not keep_anchor else row[col]
            row["website"] = row["website"] if website else ""
            out.append((row, f"E{len(companies):05d}"))
    rng.shuffle(out)
    ids: list[str] = []
    alphabet = string.digits + string.ascii_letters
    while len(ids) < len(out):
        new = "001" + rng.choice(["5g", "1t", "3X", "0Q", "09"]) + "0000" + "".join(rng.choices(alphabet, k=6))
        ids.extend([new] if new not in ids else [])
    result = [{"account_id": i, **{c: r[c] for c in COLUMNS[1:]}} for i, (r, _) in zip(ids, out, strict=True)]
    return Export(f"{level}-{language}", result, [e for _, e in out])


def true_pairs(entity: list[str]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(entity).values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--level", choices=list(LEVELS), required=True)
    ap.add_argument("--language", choices=list(MARKETS), required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--no-website", action="store_true", help="leave the website column empty")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rows", type=int, default=3000)
    args = ap.parse_args()
    export = generate(args.level, args.language, rows=args.rows, seed=args.seed, website=not args.no_website)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{export.name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[*COLUMNS, "entity"])
        writer.writeheader()
        for row, ent in zip(export.rows, export.entity, strict=True):
            writer.writerow({**row, "entity": ent})
    entities, pairs = len(set(export.entity)), true_pairs(export.entity)
    print(f"{path}: {len(export.rows)} rows, {entities} entities, {pairs} true pairs")


if __name__ == "__main__":
    main()
