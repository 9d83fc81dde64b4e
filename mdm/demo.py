"""A demo estate of a professional-services firm, loaded through the hub's real ingestion path.

A fresh hub is empty, yet stewards, the workbench, matching and the benchmarks all need an
estate that looks like a real firm's: four source systems that overlap, references across
all six domains, and planted near-duplicates for fuzzy matching to find. `generate` is pure
and deterministic for a seed, so tests check the estate without a database; `load_demo`
sends it through `ingest` in dependency order, batch by batch, as integrations would.
"""

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from mdm.db.engine import Database
from mdm.db.tables import GOLDEN
from mdm.domains import BY_NAME, DOMAINS
from mdm.errors import MdmError
from mdm.policy.store import load as load_policy
from mdm.records.service import SourceItem, decode_payload, ingest
from mdm.records.workspace import Actor

AS_OF = date(2025, 6, 30)  # the estate's "today", fixed so that a seed always gives the same estate
FIRM_EMAIL_DOMAIN = "firm.example"
BATCH = 500  # items per ingest call and transaction, like an integration's batch
TARGETS = {"legal_entity": 20, "cost_center": 200, "employee": 5000, "customer": 2000, "rate_card": 50, "project": 3000}
CUSTOMER_DUPLICATE_SHARE = 0.06  # second CRM accounts of one company, without a tax id
EMPLOYEE_DUPLICATE_SHARE = 0.004  # second worker numbers of one person, same e-mail

# ---- the estate -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A record as one source system knows it; the loader turns it into a canonical id."""

    domain: str
    system: str
    source_id: str


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One system's record: the payload is create-contract builtins, references as `SourceRef`s."""

    domain: str
    system: str
    source_id: str
    payload: dict[str, Any]

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.domain, self.system, self.source_id)


@dataclass(frozen=True, slots=True)
class Step:
    """Records of one domain and system that only reference records of earlier steps."""

    domain: str
    system: str
    label: str
    records: tuple[SourceRecord, ...]


@dataclass(frozen=True, slots=True)
class DemoEstate:
    """Steps to ingest in order, what they should make, and the planted duplicates as ground truth."""

    seed: int
    scale: float
    steps: tuple[Step, ...]
    expected: dict[str, int]  # golden records per domain once every step is ingested
    customer_duplicates: tuple[tuple[SourceRef, SourceRef], ...]  # (company's account, planted near-duplicate)
    employee_duplicates: tuple[tuple[SourceRef, SourceRef], ...]  # (worker, same person under another number)

    def records(self, domain: str) -> list[SourceRecord]:
        return [r for s in self.steps if s.domain == domain for r in s.records]

    def record_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.steps:
            counts[s.domain] = counts.get(s.domain, 0) + len(s.records)
        return counts


def target_sizes(scale: float) -> dict[str, int]:
    """Golden records per domain at a scale; small scales keep enough of each to stay connected."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    n = {d: round(t * scale) for d, t in TARGETS.items()}
    n_le = min(len(_ENTITIES), max(2, n["legal_entity"]))
    return {
        "legal_entity": n_le,
        "cost_center": min(len(_COST_CENTERS) * n_le, max(3 * n_le, n["cost_center"])),
        "employee": max(10 * n_le, n["employee"]),
        "customer": max(20, n["customer"]),
        "rate_card": max(3, n["rate_card"]),
        "project": max(10, n["project"]),
    }


# ---- reference data -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Country:
    code: str
    currency: str
    tld: str
    forms: tuple[str, ...]  # legal forms of companies
    cities: tuple[tuple[str, str, str], ...]  # (city, region, postal code pattern: # digit, @ letter)
    streets: tuple[str, ...]
    line1: str  # how a street address is written here
    tax_id: str  # pattern of the VAT or tax number
    registration: str  # pattern of the company register number
    cultures: tuple[str, ...]  # where the people working here come from, by weight
    label: str  # as in a subsidiary's name: "Atlas Capital Deutschland"
    weight: int  # share of the customer base


_COUNTRIES: dict[str, _Country] = {
    c.code: c
    for c in (
        _Country(
            "US", "USD", "com", ("Inc.", "LLC", "Corp."),
            (("New York", "NY", "100##"), ("Chicago", "IL", "606##"), ("Boston", "MA", "021##"),
             ("San Francisco", "CA", "941##"), ("Austin", "TX", "787##"), ("Atlanta", "GA", "303##"),
             ("Seattle", "WA", "981##"), ("Denver", "CO", "802##"), ("Charlotte", "NC", "282##")),
            ("Main Street", "Market Street", "Park Avenue", "Lexington Avenue", "Broadway", "Commerce Drive",
             "Peachtree Street", "Congress Avenue", "Wacker Drive"),
            "{n} {street}", "##-#######", "########", ("english",) * 6 + ("spanish", "indian", "chinese"), "USA", 22,
        ),
        _Country(
            "GB", "GBP", "co.uk", ("Ltd", "plc", "LLP"),
            (("London", "Greater London", "EC2@ #@@"), ("Manchester", "Greater Manchester", "M# #@@"),
             ("Birmingham", "West Midlands", "B# #@@"), ("Edinburgh", "Scotland", "EH# #@@"),
             ("Bristol", "Bristol", "BS# #@@"), ("Leeds", "West Yorkshire", "LS# #@@"),
             ("Cambridge", "Cambridgeshire", "CB# #@@")),
            ("High Street", "King Street", "Queen Street", "Station Road", "Bishopsgate", "Cheapside",
             "Deansgate", "George Street", "Victoria Road"),
            "{n} {street}", "GB#########", "########", ("english",) * 6 + ("indian", "indian", "polish"), "UK", 14,
        ),
        _Country(
            "DE", "EUR", "de", ("GmbH", "AG", "GmbH & Co. KG", "SE"),
            (("Berlin", "Berlin", "10###"), ("München", "Bayern", "80###"), ("Hamburg", "Hamburg", "20###"),
             ("Frankfurt am Main", "Hessen", "60###"), ("Köln", "Nordrhein-Westfalen", "50###"),
             ("Stuttgart", "Baden-Württemberg", "70###"), ("Düsseldorf", "Nordrhein-Westfalen", "40###"),
             ("Leipzig", "Sachsen", "04###")),
            ("Hauptstraße", "Bahnhofstraße", "Goethestraße", "Friedrichstraße", "Königsallee",
             "Maximilianstraße", "Mainzer Landstraße", "Lindenstraße", "Industriestraße"),
            "{street} {n}", "DE#########", "HRB ######", ("german",) * 7 + ("polish", "english"), "Deutschland", 14,
        ),
        _Country(
            "FR", "EUR", "fr", ("SA", "SAS", "SARL"),
            (("Paris", "Île-de-France", "750##"), ("Lyon", "Auvergne-Rhône-Alpes", "6900#"),
             ("Marseille", "Provence-Alpes-Côte d'Azur", "130##"), ("Toulouse", "Occitanie", "310##"),
             ("Lille", "Hauts-de-France", "590##"), ("Nantes", "Pays de la Loire", "440##"),
             ("Bordeaux", "Nouvelle-Aquitaine", "330##")),
            ("rue de la République", "boulevard Haussmann", "rue du Faubourg Saint-Honoré", "rue Victor Hugo",
             "avenue Jean Jaurès", "avenue de l'Opéra", "quai de la Loire"),
            "{n} {street}", "FR## #########", "RCS ### ### ###", ("french",) * 7 + ("spanish", "english"), "France", 9,
        ),
        _Country(
            "NL", "EUR", "nl", ("B.V.", "N.V."),
            (("Amsterdam", "Noord-Holland", "10## @@"), ("Rotterdam", "Zuid-Holland", "30## @@"),
             ("Utrecht", "Utrecht", "35## @@"), ("Eindhoven", "Noord-Brabant", "56## @@"),
             ("Den Haag", "Zuid-Holland", "25## @@")),
            ("Keizersgracht", "Herengracht", "Coolsingel", "Damrak", "Stationsplein", "Gustav Mahlerlaan", "Weena"),
            "{street} {n}", "NL#########B01", "KvK ########", ("dutch",) * 7 + ("english", "german"), "Nederland", 7,
        ),
        _Country(
            "CH", "CHF", "ch", ("AG", "SA", "GmbH"),
            (("Zürich", "ZH", "80##"), ("Genève", "GE", "12##"), ("Basel", "BS", "40##"), ("Bern", "BE", "30##"),
             ("Lausanne", "VD", "10##"), ("Zug", "ZG", "630#")),
            ("Bahnhofstrasse", "Rue du Rhône", "Aeschenvorstadt", "Bundesgasse", "Avenue de la Gare",
             "Baarerstrasse", "Paradeplatz"),
            "{street} {n}", "CHE-###.###.### MWST", "CHE-###.###.###", ("german",) * 4 + ("french",) * 3 + ("italian",),
            "Schweiz", 6,
        ),
        _Country(
            "AU", "AUD", "com.au", ("Pty Ltd", "Ltd"),
            (("Sydney", "NSW", "20##"), ("Melbourne", "VIC", "30##"), ("Brisbane", "QLD", "40##"),
             ("Perth", "WA", "60##"), ("Adelaide", "SA", "50##")),
            ("George Street", "Collins Street", "Queen Street", "St Georges Terrace", "King William Street",
             "Pitt Street"),
            "{n} {street}", "## ### ### ###", "### ### ###", ("english",) * 6 + ("chinese", "indian"), "Australia", 6,
        ),
        _Country(
            "FI", "EUR", "fi", ("Oy", "Oyj"),
            (("Helsinki", "Uusimaa", "00###"), ("Espoo", "Uusimaa", "02###"), ("Tampere", "Pirkanmaa", "33###"),
             ("Turku", "Varsinais-Suomi", "20###"), ("Oulu", "Pohjois-Pohjanmaa", "90###")),
            ("Mannerheimintie", "Aleksanterinkatu", "Hämeenkatu", "Keilaranta", "Eerikinkatu"),
            "{street} {n}", "FI########", "#######-#", ("finnish",) * 6 + ("swedish",), "Finland", 3,
        ),
        _Country(
            "SE", "SEK", "se", ("AB",),
            (("Stockholm", "Stockholms län", "1## ##"), ("Göteborg", "Västra Götalands län", "4## ##"),
             ("Malmö", "Skåne län", "2## ##"), ("Uppsala", "Uppsala län", "75# ##")),
            ("Drottninggatan", "Kungsgatan", "Sveavägen", "Storgatan", "Kungsportsavenyen"),
            "{street} {n}", "SE##########01", "######-####", ("swedish",) * 6 + ("finnish",), "Sverige", 4,
        ),
        _Country(
            "IT", "EUR", "it", ("S.p.A.", "S.r.l."),
            (("Milano", "Lombardia", "201##"), ("Roma", "Lazio", "001##"), ("Torino", "Piemonte", "101##"),
             ("Bologna", "Emilia-Romagna", "401##"), ("Firenze", "Toscana", "501##")),
            ("Via Roma", "Corso Buenos Aires", "Via Montenapoleone", "Via del Corso", "Corso Vittorio Emanuele II",
             "Via Garibaldi"),
            "{street}, {n}", "IT###########", "REA ######", ("italian",) * 7 + ("english",), "Italia", 5,
        ),
        _Country(
            "ES", "EUR", "es", ("S.A.", "S.L."),
            (("Madrid", "Comunidad de Madrid", "280##"), ("Barcelona", "Cataluña", "080##"),
             ("Valencia", "Comunidad Valenciana", "460##"), ("Sevilla", "Andalucía", "410##"),
             ("Bilbao", "País Vasco", "480##")),
            ("Calle de Alcalá", "Paseo de la Castellana", "Gran Vía", "Avinguda Diagonal", "Passeig de Gràcia"),
            "{street}, {n}", "ES@########", "CIF @########", ("spanish",) * 7 + ("english",), "España", 4,
        ),
        _Country(
            "CA", "CAD", "ca", ("Inc.", "Ltd.", "Corp."),
            (("Toronto", "ON", "M#@ #@#"), ("Montréal", "QC", "H#@ #@#"), ("Vancouver", "BC", "V#@ #@#"),
             ("Calgary", "AB", "T#@ #@#"), ("Ottawa", "ON", "K#@ #@#")),
            ("Bay Street", "King Street West", "Rue Sainte-Catherine", "Burrard Street", "Sparks Street"),
            "{n} {street}", "#########RT0001", "#######", ("english",) * 4 + ("french", "chinese", "indian"),
            "Canada", 6,
        ),
    )
}  # fmt: skip

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # culture -> (given names, family names)
    "english": (
        ("James", "Oliver", "William", "Robert", "Michael", "Thomas", "Daniel", "Christopher", "Matthew", "Andrew",
         "Samuel", "George", "Henry", "Jack", "Charles", "Edward", "Benjamin", "Joseph", "David", "Richard", "Peter",
         "Mark", "Paul", "Stephen", "Jonathan", "Simon", "Ryan", "Emily", "Sarah", "Jessica", "Katherine", "Elizabeth",
         "Hannah", "Charlotte", "Olivia", "Margaret", "Rachel", "Jennifer", "Alice", "Amelia", "Grace", "Lucy", "Emma",
         "Helen", "Victoria", "Rebecca", "Natalie", "Claire", "Megan", "Abigail", "Lauren", "Nathan", "Adam", "Luke",
         "Patrick", "Kevin", "Brian", "Scott", "Tyler", "Madison", "Chloe", "Zoe", "Harriet", "Fiona", "Susan",
         "Caroline", "Diana", "Imogen", "Isabel", "Joanna", "Kirsty"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
         "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Clarke", "Harris", "O'Brien", "Campbell",
         "Murphy", "Anderson", "Mitchell", "Moore", "Jackson", "King", "Scott", "Young", "Allen", "Baker", "Hill",
         "Adams", "Nelson", "Carter", "Turner", "Phillips", "Parker", "Edwards", "Collins", "Stewart", "Morris", "Cook",
         "Morgan", "Bell", "Cooper", "Ward", "Hughes", "Bennett", "Fletcher", "Price", "Wood", "Barnes", "Palmer",
         "Reed", "Foster", "Gray", "Russell", "Butler", "Simmons", "Griffin", "Hayes", "Myers", "Ford", "Graham",
         "Sullivan", "Wallace", "West", "Cole", "Ellis", "Marshall", "Owens", "Harrison", "Gibson", "Kennedy", "Lloyd",
         "Dixon", "Hunt", "Holmes", "Mills", "Knight", "Lawrence", "Watson", "Chapman", "Shaw", "Fraser", "MacDonald",
         "Sinclair", "Doyle", "Byrne"),
    ),
    "german": (
        ("Lukas", "Maximilian", "Jonas", "Felix", "Johannes", "Stefan", "Jürgen", "Matthias", "Tobias", "Florian",
         "Andreas", "Jörg", "Anna", "Julia", "Katharina", "Lena", "Sophie", "Sabine", "Claudia", "Franziska",
         "Christina", "Marie", "Niklas", "Moritz", "Sebastian", "Philipp", "Markus", "Dirk", "Uwe", "Leonie", "Hanna",
         "Miriam", "Ulrike", "Birgit", "Annika", "Carina"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
         "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Zimmermann", "Braun", "Krüger",
         "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Schmitt", "Schwarz", "Köhler", "Maier", "Walter", "König",
         "Huber", "Kaiser", "Fuchs", "Peters", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich",
         "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz"),
    ),
    "french": (
        ("Louis", "Gabriel", "Hugo", "Arthur", "Jules", "Antoine", "François", "Nicolas", "Julien", "Mathieu",
         "Camille", "Léa", "Manon", "Chloé", "Inès", "Céline", "Élodie", "Margaux", "Amélie", "Sophie", "Pierre",
         "Guillaume", "Maxime", "Alexandre", "Romain", "Vincent", "Clément", "Julie", "Pauline", "Claire", "Marine",
         "Aurélie", "Mathilde", "Charlotte", "Anaïs"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
         "Laurent", "Lefèvre", "Michel", "David", "Bertrand", "Roux", "Fournier", "Girard", "Morel", "Bonnet", "Dupont",
         "Lambert", "Fontaine", "Rousseau", "Vincent", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin",
         "Boyer", "Garnier", "Chevalier"),
    ),
    "dutch": (
        ("Daan", "Sem", "Lars", "Bram", "Thijs", "Joris", "Pieter", "Jeroen", "Sanne", "Lotte", "Femke", "Anouk", "Eva",
         "Fleur", "Marieke", "Annelies", "Ruben", "Tim", "Niels", "Sven", "Maarten", "Wouter", "Koen", "Stijn", "Roos",
         "Iris", "Noor", "Lieke", "Esther", "Saskia"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer",
         "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
         "de Wit", "Dijkstra", "Kok", "Jacobs", "van der Meer", "Schouten", "Willems", "van der Linden", "Kuipers",
         "Koster", "Prins", "Huisman", "Post", "Verhoeven"),
    ),
    "italian": (
        ("Alessandro", "Lorenzo", "Matteo", "Francesco", "Andrea", "Marco", "Giuseppe", "Luca", "Giulia", "Chiara",
         "Francesca", "Sofia", "Martina", "Alessia", "Federica", "Elena", "Davide", "Simone", "Riccardo", "Tommaso",
         "Gabriele", "Stefano", "Paolo", "Roberto", "Valentina", "Sara", "Silvia", "Beatrice", "Ilaria", "Serena"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
         "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Lombardi", "Rizzo", "Moretti", "Barbieri",
         "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo",
         "Gentile", "Martinelli", "Vitale"),
    ),
    "spanish": (
        ("Alejandro", "Pablo", "Javier", "Sergio", "Carlos", "José", "Álvaro", "Andrés", "Lucía", "María", "Paula",
         "Carmen", "Laura", "Marta", "Sofía", "Nuria", "Diego", "Manuel", "Miguel", "Jorge", "Adrián", "Raúl", "Rubén",
         "Ana", "Isabel", "Cristina", "Beatriz", "Rocío", "Pilar", "Irene", "Alba"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín",
         "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Navarro", "Torres",
         "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez",
         "Ortega", "Delgado", "Castro", "Ortiz"),
    ),
    "swedish": (
        ("Erik", "Lars", "Anders", "Johan", "Oskar", "Karl", "Nils", "Gustav", "Björn", "Anna", "Emma", "Elin",
         "Ingrid", "Karin", "Maja", "Åsa", "Linnea", "Magnus", "Henrik", "Fredrik", "Mattias", "Per", "Ulf", "Kristina",
         "Helena", "Sara", "Ebba", "Frida", "Malin", "Sofia"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
         "Gustafsson", "Pettersson", "Lindberg", "Lindström", "Bergström", "Åkesson", "Sjöberg", "Axelsson", "Berglund",
         "Jonsson", "Lundberg", "Lundqvist", "Holm", "Engström", "Ekström", "Hedlund", "Forsberg", "Sandberg", "Nyberg",
         "Fransson", "Håkansson"),
    ),
    "finnish": (
        ("Mikko", "Juha", "Timo", "Jukka", "Antti", "Matti", "Ville", "Sami", "Aino", "Eveliina", "Sanna", "Kaisa",
         "Minna", "Päivi", "Tiina", "Laura", "Janne", "Tuomas", "Petri", "Jari", "Heikki", "Olli", "Eero", "Riikka",
         "Hanna", "Johanna", "Satu", "Noora", "Elina", "Katja"),
        ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
         "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Turunen", "Hiltunen",
         "Ahonen", "Rantanen", "Kinnunen", "Salonen", "Tuominen", "Lindholm", "Kallio", "Savolainen", "Karjalainen",
         "Laaksonen", "Ojala"),
    ),
    "indian": (
        ("Aarav", "Arjun", "Rohan", "Vikram", "Rahul", "Anil", "Sanjay", "Raj", "Priya", "Ananya", "Divya", "Kavya",
         "Neha", "Pooja", "Shreya", "Aditi", "Karan", "Nikhil", "Siddharth", "Varun", "Amit", "Suresh", "Manish",
         "Deepak", "Arvind", "Meera", "Lakshmi", "Sunita", "Anjali", "Ritu", "Swati", "Nisha"),
        ("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Iyer", "Reddy", "Nair", "Mehta", "Joshi", "Rao", "Desai",
         "Chopra", "Banerjee", "Menon", "Kapoor", "Agarwal", "Bhat", "Chatterjee", "Das", "Ghosh", "Krishnan",
         "Malhotra", "Mukherjee", "Pillai", "Saxena", "Sinha", "Verma", "Pandey", "Mishra", "Bose", "Kulkarni"),
    ),
    "chinese": (
        ("Wei", "Jing", "Ming", "Hao", "Xin", "Yan", "Lei", "Jun", "Mei", "Ying", "Tao", "Fang", "Hui", "Qing", "Jian",
         "Xiaoming", "Yifan", "Zihan", "Haoran", "Yuxuan", "Jiayi", "Xinyi", "Meiling", "Zhiwei", "Wenjie", "Shu",
         "Lan", "Ping"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Lin", "Guo",
         "He", "Gao", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng"),
    ),
    "polish": (
        ("Piotr", "Krzysztof", "Tomasz", "Paweł", "Marcin", "Michał", "Łukasz", "Katarzyna", "Agnieszka", "Magdalena",
         "Joanna", "Aleksandra", "Małgorzata", "Zofia", "Adam", "Jakub", "Kamil", "Wojciech", "Bartosz", "Mateusz",
         "Grzegorz", "Ewa", "Monika", "Karolina", "Natalia", "Dorota", "Beata", "Marta"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Szymański",
         "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski",
         "Pawłowski", "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel", "Majewski", "Olszewski", "Stępień",
         "Malinowski"),
    ),
}  # fmt: skip

_NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Katherine": "Kate", "Elizabeth": "Liz", "Michael": "Mike",
    "Christopher": "Chris", "Thomas": "Tom", "Jennifer": "Jenny", "Daniel": "Dan", "Matthew": "Matt",
    "Andrew": "Andy", "Samuel": "Sam", "Margaret": "Maggie", "Johannes": "Hannes", "Maximilian": "Max",
    "Katharina": "Kathi", "Franziska": "Franzi", "Christina": "Tina", "Alessandro": "Sandro", "Giuseppe": "Beppe",
    "Alejandro": "Álex", "Nicolas": "Nico", "Aleksandra": "Ola", "Krzysztof": "Krzysiek", "Jonas": "Joni",
}  # fmt: skip

_BRANDS = (
    "Alpine", "Apex", "Arcadia", "Atlas", "Aurora", "Baltic", "Beacon", "Birch", "Bluewater", "Boreal", "Brightwell",
    "Cardinal", "Cedar", "Clearview", "Cobalt", "Coastal", "Crescent", "Crestline", "Crown", "Delta", "Eastgate",
    "Emerald", "Evergreen", "Falcon", "Fjord", "Frontier", "Granite", "Greenfield", "Harbor", "Heritage", "Highland",
    "Horizon", "Ironwood", "Juniper", "Keystone", "Lakeside", "Landmark", "Lighthouse", "Lumen", "Maple", "Mariner",
    "Midland", "Monarch", "Northwind", "Nova", "Oakridge", "Orion", "Pacific", "Paragon", "Pinnacle", "Polaris",
    "Premier", "Quantum", "Redwood", "Ridgeway", "Riverside", "Sapphire", "Sentinel", "Sierra", "Silverline",
    "Solstice", "Sterling", "Stonebridge", "Summit", "Sunrise", "Talon", "Titan", "Trident", "Trinity", "Unity",
    "Vanguard", "Vantage", "Vector", "Vertex", "Westbrook", "Willow", "Zenith", "Acme",
)  # fmt: skip

_INDUSTRIES: dict[str, tuple[str, ...]] = {  # industry -> nouns that make a company name in it
    "Financial Services": ("Capital", "Bank", "Asset Management", "Financial Group", "Payments", "Investments"),
    "Insurance": ("Insurance", "Assurance", "Reinsurance", "Mutual", "Life"),
    "Healthcare": ("Health", "Medical", "Clinics", "Care Group", "Healthcare"),
    "Life Sciences": ("Pharma", "Biosciences", "Therapeutics", "Diagnostics", "Labs"),
    "Manufacturing": ("Industries", "Engineering", "Manufacturing", "Precision", "Components", "Machinery"),
    "Automotive": ("Automotive", "Motors", "Mobility", "Auto Parts"),
    "Retail": ("Retail", "Stores", "Fashion", "Home", "Markets"),
    "Consumer Goods": ("Foods", "Beverages", "Brands", "Consumer Products", "Dairy"),
    "Energy & Utilities": ("Energy", "Power", "Utilities", "Renewables", "Solar", "Wind"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Mobile", "Fibre"),
    "Technology": ("Software", "Systems", "Technologies", "Digital", "Data", "Cloud"),
    "Media & Entertainment": ("Media", "Studios", "Publishing", "Broadcasting", "Entertainment"),
    "Transport & Logistics": ("Logistics", "Freight", "Shipping", "Transport", "Airlines", "Rail"),
    "Real Estate": ("Properties", "Real Estate", "Estates", "Developments"),
    "Construction": ("Construction", "Builders", "Infrastructure", "Contractors"),
    "Chemicals": ("Chemicals", "Materials", "Polymers", "Coatings"),
    "Hospitality": ("Hotels", "Hospitality", "Resorts", "Travel"),
    "Professional Services": ("Consulting", "Advisors", "Partners", "Legal", "Services"),
}

_FORM_SPELLINGS = {  # how a second account writes the same legal form
    "Inc.": "Inc", "LLC": "L.L.C.", "Corp.": "Corporation", "Ltd": "Limited", "Ltd.": "Limited", "plc": "PLC",
    "LLP": "L.L.P.", "GmbH": "Gmbh", "AG": "A.G.", "GmbH & Co. KG": "GmbH & Co KG", "SE": "S.E.", "SA": "S.A.",
    "SAS": "S.A.S.", "SARL": "S.à r.l.", "B.V.": "BV", "N.V.": "NV", "Pty Ltd": "Pty. Ltd.", "Oy": "OY",
    "Oyj": "OYJ", "AB": "Aktiebolag", "S.p.A.": "SpA", "S.r.l.": "Srl", "S.A.": "SA", "S.L.": "SL",
}  # fmt: skip

_ABBREVIATIONS = {
    "International": "Intl.", "Group": "Grp.", "Services": "Svcs", "Technologies": "Tech", "Management": "Mgmt",
    "Engineering": "Eng.", "Communications": "Comms", "Manufacturing": "Mfg.", "Properties": "Props",
}  # fmt: skip

_ADDRESS_SHORTHANDS = {
    "straße": "str.", "strasse": "str.", "Street": "St", "Avenue": "Ave", "Road": "Rd", "boulevard": "bd",
    "Via ": "V. ", "Calle ": "C/ ", "Drive": "Dr",
}  # fmt: skip

_ENGAGEMENTS = (
    "ERP Implementation", "Cloud Migration", "Operating Model Redesign", "Cost Transformation",
    "Data Platform Build", "Cyber Maturity Assessment", "Commercial Due Diligence", "Supply Chain Optimisation",
    "CRM Rollout", "Finance Transformation", "Regulatory Reporting", "Application Support",
    "Digital Strategy", "Pricing Excellence", "Workforce Planning", "Post-Merger Integration",
    "Process Mining Pilot", "AI Readiness Assessment", "S/4HANA Migration", "Salesforce Implementation",
    "Procurement Transformation", "Target Operating Model", "IT Due Diligence", "Customer Journey Redesign",
    "Treasury System Selection", "ESG Reporting", "Shared Services Setup", "Infrastructure Managed Service",
)  # fmt: skip

# grades of the firm's career ladder, 0 is the top; weights make the pyramid
_TITLES = ("Partner", "Director", "Senior Manager", "Manager", "Senior Consultant", "Consultant", "Analyst")
_GRADE_WEIGHTS = (4, 6, 10, 15, 22, 25, 18)
_MAX_TENURE_YEARS = (22, 16, 12, 10, 7, 4, 2)
_MANAGER_GRADES: tuple[tuple[int, ...], ...] = ((), (0,), (1,), (2,), (3,), (3, 4), (4, 3))  # partners: the lead
_LEAD_TITLE = "Managing Partner"
_DAY_RATES_EUR = (2900, 2500, 2100, 1750, 1400, 1100, 850)  # per grade, 2025 standard card
_DAY_COST = (1300, 1100, 900, 760, 620, 500, 400)  # fully loaded cost per day and grade, in the entity currency
_CURRENCY_FACTORS = {"EUR": 1.0, "USD": 1.1, "GBP": 0.86, "CHF": 0.97, "SEK": 11.4, "AUD": 1.65, "CAD": 1.5}
_RATE_PERIODS = ((date(2025, 1, 1), None, 1.0), (date(2024, 1, 1), date(2024, 12, 31), 0.96),
                 (date(2023, 1, 1), date(2023, 12, 31), 0.92))  # fmt: skip
_BILLING_MODELS = ("time_and_materials", "fixed_fee", "milestone", "retainer", "managed_service")
_BILLING_WEIGHTS = (45, 25, 12, 8, 10)
_RATE_CARD_MODELS = ("time_and_materials", "retainer", "managed_service")
_FIRST_PROJECT_START = date(2022, 1, 3)


@dataclass(frozen=True, slots=True)
class _EntityPlan:
    name: str
    country: str
    parent: int | None  # index into _ENTITIES, always an earlier one
    weight: int  # share of the staff
    delivers: bool  # holdings deliver no projects and have no rate cards
    founded: date


_ENTITIES = (
    _EntityPlan("Meridian Advisory Group plc", "GB", None, 1, False, date(2009, 3, 2)),
    _EntityPlan("Meridian Advisory Inc.", "US", 0, 16, True, date(2011, 6, 1)),
    _EntityPlan("Meridian Advisory Ltd", "GB", 0, 14, True, date(2009, 3, 2)),
    _EntityPlan("Meridian Advisory Europe B.V.", "NL", 0, 1, False, date(2012, 1, 2)),
    _EntityPlan("Meridian Advisory GmbH", "DE", 3, 12, True, date(2012, 4, 2)),
    _EntityPlan("Meridian Advisory SAS", "FR", 3, 8, True, date(2013, 9, 2)),
    _EntityPlan("Meridian Advisory AG", "CH", 3, 5, True, date(2014, 1, 6)),
    _EntityPlan("Meridian Advisory Pty Ltd", "AU", 0, 6, True, date(2015, 7, 1)),
    _EntityPlan("Meridian Advisory Canada Ltd.", "CA", 1, 5, True, date(2016, 2, 1)),
    _EntityPlan("Meridian Advisory Nordics AB", "SE", 3, 4, True, date(2016, 5, 2)),
    _EntityPlan("Meridian Advisory Oy", "FI", 9, 3, True, date(2017, 1, 2)),
    _EntityPlan("Meridian Advisory S.p.A.", "IT", 3, 5, True, date(2017, 3, 1)),
    _EntityPlan("Meridian Advisory España S.L.", "ES", 3, 5, True, date(2018, 1, 8)),
    _EntityPlan("Meridian Advisory Nederland B.V.", "NL", 3, 5, True, date(2012, 1, 2)),
    _EntityPlan("Meridian Digital LLC", "US", 1, 5, True, date(2019, 1, 7)),
    _EntityPlan("Meridian Digital GmbH", "DE", 4, 3, True, date(2019, 6, 3)),
    _EntityPlan("Meridian Managed Services Ltd", "GB", 2, 3, True, date(2020, 1, 6)),
    _EntityPlan("Meridian Advisory Federal LLC", "US", 1, 2, True, date(2020, 9, 1)),
    _EntityPlan("Meridian Digital AG", "CH", 6, 1, True, date(2021, 4, 1)),
    _EntityPlan("Meridian Digital Pty Ltd", "AU", 7, 1, True, date(2022, 1, 4)),
)

# (code, name, parent code): the same chart in every entity, parents first; a prefix is a valid chart
_COST_CENTERS = (
    ("1000", "Management", None),
    ("4000", "Consulting", "1000"),
    ("4100", "Strategy & Transformation", "4000"),
    ("4200", "Technology Consulting", "4000"),
    ("6000", "Corporate Functions", "1000"),
    ("4300", "Data & Analytics", "4000"),
    ("6100", "Finance", "6000"),
    ("6200", "People & Talent", "6000"),
    ("4400", "Cloud & Engineering", "4000"),
    ("4500", "Cybersecurity", "4000"),
    ("5000", "Managed Services", "1000"),
    ("5100", "Application Management", "5000"),
    ("4600", "Finance Transformation", "4000"),
    ("4700", "Supply Chain & Operations", "4000"),
    ("6300", "IT & Workplace", "6000"),
    ("4800", "People & Change Advisory", "4000"),
    ("5200", "Infrastructure Services", "5000"),
    ("4900", "Risk & Regulatory", "4000"),
    ("6400", "Marketing & Business Development", "6000"),
    ("4950", "Legacy ERP Practice", "4000"),
)
_GROUP_CODES = frozenset({"1000", "4000", "5000", "6000"})  # summary nodes nobody books to
_CLOSED_CODES = {"4950": date(2023, 12, 31)}  # wound-down practices: inactive since this date
_DELIVERY_PREFIXES = ("4", "5")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TRANSLITERATION = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"})


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return "".join(c for c in _ascii(text).lower() if c.isalnum())


def _money(amount: int) -> str:
    return f"{amount}.00"


def _apportion(total: int, weights: Sequence[int], low: int, high: int) -> list[int]:
    """Split `total` by weight (highest averages), each share within [low, high]."""
    counts = [low] * len(weights)
    for _ in range(total - low * len(weights)):
        open_ = [i for i in range(len(weights)) if counts[i] < high]
        best = max(open_, key=lambda i: weights[i] / (counts[i] + 1))
        counts[best] += 1
    return counts


# ---- the generator --------------------------------------------------------------------


@dataclass(slots=True)
class _Entity:
    plan: _EntityPlan
    ref: SourceRef
    currency: str
    cost_centers: list[tuple[str, SourceRecord]] = field(default_factory=list)  # (code, netsuite record)
    staff: list[int] = field(default_factory=list)  # indexes into the people

    @property
    def delivery_centers(self) -> list[SourceRef]:
        return [
            r.ref
            for code, r in self.cost_centers
            if code.startswith(_DELIVERY_PREFIXES) and code not in _GROUP_CODES and code not in _CLOSED_CODES
        ]


@dataclass(slots=True)
class _Person:
    entity: int
    grade: int
    given: str
    family: str
    lead: bool = False
    email: str = ""
    number: str = ""
    ref: SourceRef = SourceRef("employee", "workday", "")
    manager: int | None = None
    depth: int = 0
    status: str = "active"
    employment_type: str = "employee"
    start: date = AS_OF
    end: date | None = None
    cost_center: SourceRef | None = None

    @property
    def title(self) -> str:
        return _LEAD_TITLE if self.lead else _TITLES[self.grade]


@dataclass(slots=True)
class _Company:
    base: str  # the trading name
    legal_name: str
    country: str
    industry: str
    status: str
    website: str
    address: dict[str, str]
    tax_id: str | None = None
    crm: SourceRecord | None = None
    erp: SourceRecord | None = None
    parent: int | None = None
    appetite: float = 1.0  # how much work the firm does for it
    duplicate: SourceRecord | None = None

    @property
    def ref(self) -> SourceRef:
        record = self.crm or self.erp
        assert record is not None
        return record.ref


@dataclass(slots=True)
class _Card:
    ref: SourceRef
    entity: int
    customer: SourceRef | None
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class _Builder:
    """Builds the estate domain by domain from one random stream, in a fixed order."""

    def __init__(self, seed: int, scale: float):
        self.rng = random.Random(seed)
        self.sizes = target_sizes(scale)
        self.steps: list[Step] = []
        self.taken_ids: set[str] = set()
        self.erp_counters: dict[str, int] = {}
        self.entities: list[_Entity] = []
        self.people: list[_Person] = []
        self.companies: list[_Company] = []
        self.cards: list[_Card] = []
        self.employee_duplicates: list[tuple[SourceRef, SourceRef]] = []

    # ---- small helpers that draw from the stream --------------------------------------

    def fill(self, pattern: str) -> str:
        """A pattern with each # a random digit and each @ a random capital letter."""
        out = []
        for c in pattern:
            if c == "#":
                out.append(str(self.rng.randrange(10)))
            elif c == "@":
                out.append(chr(ord("A") + self.rng.randrange(26)))
            else:
                out.append(c)
        return "".join(out)

    def unique(self, make: Callable[[], str]) -> str:
        """A value from `make()` not given out before: source ids, tax and register numbers."""
        while True:
            value = make()
            if value not in self.taken_ids:
                self.taken_ids.add(value)
                return value

    def unique_fill(self, pattern: str) -> str:
        return self.unique(lambda: self.fill(pattern))

    def salesforce_id(self, key_prefix: str) -> str:
        """18-character Salesforce-style ids: Certinia lives on the Salesforce platform too."""
        return self.unique(lambda: key_prefix + "5J" + "".join(self.rng.choices(_BASE62, k=13)))

    def workday_id(self) -> str:
        return self.unique(lambda: f"{self.rng.getrandbits(128):032x}")

    def netsuite_id(self, record_type: str) -> str:
        """NetSuite internal ids: ascending integers per record type, with gaps."""
        self.erp_counters[record_type] = self.erp_counters.get(record_type, 100) + self.rng.randint(1, 9)
        return str(self.erp_counters[record_type])

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def address(self, country: _Country) -> dict[str, str]:
        city, region, postal = self.rng.choice(country.cities)
        top = 9999 if country.code in ("US", "CA") else 240
        line1 = country.line1.format(n=self.rng.randint(1, top), street=self.rng.choice(country.streets))
        address = {"line1": line1, "city": city, "region": region, "postal_code": self.fill(postal)}
        if country.code in ("US", "GB", "CA", "AU") and self.rng.random() < 0.25:
            address["line2"] = self.rng.choice(("Suite", "Floor", "Level")) + f" {self.rng.randint(2, 40)}"
        address["country"] = country.code
        return address

    def person_name(self, country: _Country) -> tuple[str, str]:
        culture = self.rng.choice(country.cultures if self.rng.random() < 0.85 else tuple(_NAMES))
        given, family = _NAMES[culture]
        return self.rng.choice(given), self.rng.choice(family)

    def add_step(self, domain: str, system: str, label: str, records: list[SourceRecord]) -> None:
        if records:
            self.steps.append(Step(domain, system, label, tuple(records)))

    # ---- legal entities and cost centers (netsuite) -------------------------------------

    def legal_entities(self) -> None:
        plans = _ENTITIES[: self.sizes["legal_entity"]]
        depth: list[int] = []
        by_depth: dict[int, list[SourceRecord]] = {}
        for plan in plans:
            country = _COUNTRIES[plan.country]
            payload: dict[str, Any] = {
                "name": plan.name,
                "registration_number": self.unique_fill(country.registration),
                "tax_id": self.unique_fill(country.tax_id),
                "country": plan.country,
                "functional_currency": country.currency,
                "status": "active",
            }
            level = 0
            if plan.parent is not None:
                payload["parent_id"] = self.entities[plan.parent].ref
                level = depth[plan.parent] + 1
            record = SourceRecord("legal_entity", "netsuite", self.netsuite_id("subsidiary"), payload)
            self.entities.append(_Entity(plan, record.ref, country.currency))
            depth.append(level)
            by_depth.setdefault(level, []).append(record)
        for level in sorted(by_depth):
            self.add_step("legal_entity", "netsuite", f"level {level}", by_depth[level])

    def cost_centers(self) -> None:
        weights = [e.plan.weight for e in self.entities]
        counts = _apportion(self.sizes["cost_center"], weights, 3, len(_COST_CENTERS))
        depth_of: dict[str, int] = {}
        for code, _, parent in _COST_CENTERS:
            depth_of[code] = 0 if parent is None else depth_of[parent] + 1
        by_depth: dict[int, list[SourceRecord]] = {}
        for entity, count in zip(self.entities, counts, strict=True):
            refs: dict[str, SourceRef] = {}
            for code, name, parent in _COST_CENTERS[:count]:
                payload: dict[str, Any] = {"code": code, "name": name, "legal_entity_id": entity.ref}
                if parent is not None:
                    payload["parent_id"] = refs[parent]
                payload["valid_from"] = entity.plan.founded.isoformat()
                closed = _CLOSED_CODES.get(code)
                if closed is not None:
                    payload["valid_to"] = closed.isoformat()
                payload["status"] = "inactive" if closed is not None else "active"
                record = SourceRecord("cost_center", "netsuite", self.netsuite_id("department"), payload)
                refs[code] = record.ref
                entity.cost_centers.append((code, record))
                by_depth.setdefault(depth_of[code], []).append(record)
        for level in sorted(by_depth):
            self.add_step("cost_center", "netsuite", f"level {level}", by_depth[level])

    def cost_center_owners(self) -> None:
        """ERP learns the owners once HCM has the people: a second upsert of the same records."""
        records = []
        for entity in self.entities:
            staff = [self.people[i] for i in entity.staff]
            lead = next(p for p in staff if p.lead)
            partners = [p for p in staff if p.grade == 0 and not p.lead] or [lead]
            seniors = [p for p in staff if p.grade in (0, 1) and not p.lead] or [lead]
            for code, record in entity.cost_centers:
                if code in _CLOSED_CODES:
                    continue
                owner = lead if code == "1000" else self.rng.choice(partners if code in _GROUP_CODES else seniors)
                records.append(replace(record, payload={**record.payload, "owner_id": owner.ref}))
        self.add_step("cost_center", "netsuite", "owners", records)

    # ---- employees (workday) ----------------------------------------------------------

    def employees(self) -> None:
        weights = [e.plan.weight for e in self.entities]
        counts = _apportion(self.sizes["employee"], weights, 1, self.sizes["employee"])
        for index, (entity, count) in enumerate(zip(self.entities, counts, strict=True)):
            country = _COUNTRIES[entity.plan.country]
            for k in range(count):
                grade = 0 if k == 0 else self.rng.choices(range(len(_TITLES)), _GRADE_WEIGHTS)[0]
                given, family = self.person_name(country)
                entity.staff.append(len(self.people))
                self.people.append(_Person(index, grade, given, family, lead=k == 0))
        self._hierarchy()
        for person in self.people:
            self._employment(person)
        self._identities()
        by_depth: dict[int, list[SourceRecord]] = {}
        for person in sorted(self.people, key=lambda p: p.number):
            worker = self._worker(person, person.ref.source_id, person.number, person.given, person.family)
            by_depth.setdefault(person.depth, []).append(worker)
        for level in sorted(by_depth):
            self.add_step("employee", "workday", f"level {level}", by_depth[level])
        self._employee_duplicates()

    def _hierarchy(self) -> None:
        """Managers from the grade above in the same entity; entity leads report to the group's."""
        chief = self.entities[0].staff[0]
        for entity in self.entities:
            lead_index = entity.staff[0]
            lead = self.people[lead_index]
            if lead_index != chief:
                lead.manager, lead.depth = chief, 1
            by_grade: dict[int, list[int]] = {}
            for i in sorted(entity.staff[1:], key=lambda i: self.people[i].grade):
                person = self.people[i]
                wanted = [*_MANAGER_GRADES[person.grade], *range(min(person.grade, 5) - 1, -1, -1)]
                pool = next((by_grade[g] for g in wanted if by_grade.get(g)), [lead_index])
                person.manager = self.rng.choice(pool)
                person.depth = self.people[person.manager].depth + 1
                by_grade.setdefault(person.grade, []).append(i)

    def _employment(self, person: _Person) -> None:
        """Dates, contract type and status; only consultants and analysts ever leave (they manage no one)."""
        entity = self.entities[person.entity]
        earliest = max(entity.plan.founded, AS_OF - timedelta(days=365 * _MAX_TENURE_YEARS[person.grade]))
        person.start = self.day_between(earliest, AS_OF - timedelta(days=14))
        roll = self.rng.random()
        if person.grade == 5 and roll < 0.2:
            person.employment_type = "contractor"
            person.end = AS_OF + timedelta(days=self.rng.randint(30, 365))
        elif person.grade >= 5 and roll > 0.92 and person.start < AS_OF - timedelta(days=60):
            person.status = "terminated"
            person.end = self.day_between(person.start + timedelta(days=30), AS_OF - timedelta(days=1))
        elif not person.lead and 0.2 <= roll < 0.22:
            person.status = "leave"
        root = entity.cost_centers[0][1].ref
        delivery = entity.delivery_centers
        partner_at_root = person.grade == 0 and self.rng.random() < 0.5
        person.cost_center = root if person.lead or partner_at_root or not delivery else self.rng.choice(delivery)

    def _identities(self) -> None:
        """Worker numbers in hiring order, Workday ids, and e-mails unique among people: a namesake
        gets a middle initial, and only then a number, as mail administrators do."""
        taken: set[str] = set()
        for number, person in enumerate(sorted(self.people, key=lambda p: p.start), start=100001):
            person.number = str(number)
            given, family = _slug(person.given), _slug(person.family)
            candidate = f"{given}.{family}"
            if candidate in taken:
                candidate = f"{given}.{chr(ord('a') + self.rng.randrange(26))}.{family}"
            suffix = 2
            while candidate in taken:
                candidate, suffix = f"{given}.{family}{suffix}", suffix + 1
            taken.add(candidate)
            person.email = f"{candidate}@{FIRM_EMAIL_DOMAIN}"
            person.ref = SourceRef("employee", "workday", self.workday_id())

    def _worker(self, person: _Person, source_id: str, number: str, given: str, family: str) -> SourceRecord:
        entity = self.entities[person.entity]
        payload: dict[str, Any] = {
            "employee_number": number,
            "given_name": given,
            "family_name": family,
            "email": person.email,
            "legal_entity_id": entity.ref,
            "cost_center_id": person.cost_center,
            "job_title": person.title,
            "employment_type": person.employment_type,
            "country": entity.plan.country,
            "start_date": person.start.isoformat(),
            "status": person.status,
        }
        if person.manager is not None:
            payload["manager_id"] = self.people[person.manager].ref
        if person.end is not None:
            payload["end_date"] = person.end.isoformat()
        return SourceRecord("employee", "workday", source_id, payload)

    def _employee_duplicates(self) -> None:
        """Rehires under a new worker number with a nickname or a typo, and the same e-mail."""
        count = max(1, round(len(self.people) * EMPLOYEE_DUPLICATE_SHARE))
        candidates = [p for p in self.people if not p.lead and p.status != "terminated"]
        records = []
        for number, person in enumerate(self.rng.sample(candidates, min(count, len(candidates))), start=900001):
            given, family = person.given, person.family
            if given in _NICKNAMES and self.rng.random() < 0.7:
                given = _NICKNAMES[given]
            else:
                family = self._typo(family)
            record = self._worker(person, self.workday_id(), str(number), given, family)
            records.append(record)
            self.employee_duplicates.append((person.ref, record.ref))
        self.add_step("employee", "workday", "second worker numbers", records)

    def _typo(self, word: str) -> str:
        """A plausible misspelling: accents dropped, two letters swapped, or one letter lost."""
        if _ascii(word) != word and self.rng.random() < 0.5:
            return _ascii(word)
        letters = [i for i in range(1, len(word) - 1) if word[i].isalpha() and word[i + 1].isalpha()]
        if not letters:
            return word + word[-1]
        i = self.rng.choice(letters)
        if self.rng.random() < 0.5 and word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i + 1 :]

    # ---- customers (salesforce, netsuite) ---------------------------------------------

    def customers(self) -> None:
        total = self.sizes["customer"]
        n_duplicates = round(total * CUSTOMER_DUPLICATE_SHARE)
        n_companies = total - n_duplicates
        n_subsidiaries = round(n_companies * 0.07)
        names: set[str] = set()
        for _ in range(n_companies - n_subsidiaries):
            self.companies.append(self._company(names))
            self._channels(self.companies[-1])
        for _ in range(n_subsidiaries):
            self.companies.append(self._subsidiary(names))
            self._channels(self.companies[-1])
        tops = [c.crm for c in self.companies if c.parent is None and c.crm is not None]
        subsidiaries = [c.crm for c in self.companies if c.parent is not None and c.crm is not None]
        self.add_step("customer", "salesforce", "accounts", tops)
        self.add_step("customer", "salesforce", "subsidiary accounts", subsidiaries)
        with_crm = [c for c in self.companies if c.crm is not None and c.parent is None]
        duplicates = [self._duplicate(c) for c in self.rng.sample(with_crm, min(n_duplicates, len(with_crm)))]
        self.add_step("customer", "salesforce", "second accounts", duplicates)
        self.add_step("customer", "netsuite", "customers", [c.erp for c in self.companies if c.erp])

    def _company(self, names: set[str]) -> _Company:
        country = self._customer_country()
        industry = self.rng.choice(tuple(_INDUSTRIES))
        while True:
            base = self._company_base(country, industry)
            if base.lower() not in names:
                break
        names.add(base.lower())
        form = self.rng.choice(country.forms)
        status = self.rng.choices(("active", "inactive", "prospect"), (75, 10, 15))[0]
        return _Company(
            base=base,
            legal_name=f"{base} {form}",
            country=country.code,
            industry=industry,
            status=status,
            website=f"https://www.{_slug(base)}.{country.tld}",
            address=self.address(country),
            appetite=self.rng.paretovariate(1.6),
        )

    def _customer_country(self) -> _Country:
        countries = tuple(_COUNTRIES.values())
        return self.rng.choices(countries, [c.weight for c in countries])[0]

    def _company_base(self, country: _Country, industry: str) -> str:
        noun = self.rng.choice(_INDUSTRIES[industry])
        families = _NAMES[self.rng.choice(country.cultures)][1]
        roll = self.rng.random()
        if roll < 0.6:
            base = f"{self.rng.choice(_BRANDS)} {noun}"
        elif roll < 0.8:
            base = f"{self.rng.choice(families)} {noun}"
        else:
            first, second = self.rng.sample(families, 2)
            base = f"{first} & {second}" + (f" {noun}" if self.rng.random() < 0.5 else "")
        base = base[0].upper() + base[1:]  # "de Jong Logistics" starts a sentence: "De Jong Logistics"
        if self.rng.random() < 0.08:
            base += self.rng.choice((" International", " Group", " Holdings"))
        return base

    def _subsidiary(self, names: set[str]) -> _Company:
        """A group company in another country, e.g. "Atlas Capital Deutschland GmbH"."""
        parents = [i for i, c in enumerate(self.companies) if c.parent is None and c.status != "prospect" and c.crm]
        while True:
            parent_index = self.rng.choice(parents)
            parent = self.companies[parent_index]
            country = self._customer_country()
            base = f"{parent.base} {country.label}"
            if country.code != parent.country and base.lower() not in names:
                break
        names.add(base.lower())
        return _Company(
            base=base,
            legal_name=f"{base} {self.rng.choice(country.forms)}",
            country=country.code,
            industry=parent.industry,
            status="active",
            website=f"https://www.{_slug(parent.base)}.{country.tld}",
            address=self.address(country),
            parent=parent_index,
            appetite=parent.appetite * self.rng.uniform(0.2, 0.8),
        )

    def _channels(self, company: _Company) -> None:
        """Which systems know the company: CRM always, ERP once it is billed (with the fields it owns)."""
        country = _COUNTRIES[company.country]
        roll = self.rng.random()
        in_crm = True  # the default policy lets only the CRM create customers; the ERP links by tax id
        in_erp = company.status != "prospect" and roll > 0.06
        if in_erp:
            company.tax_id = self.unique_fill(country.tax_id)
        if in_crm:
            payload: dict[str, Any] = {
                "name": company.base if self.rng.random() < 0.7 else company.legal_name,
                "website": company.website,
                "industry": company.industry,
                "billing_address": company.address,
                "country": company.country,
                "status": company.status,
            }
            if company.tax_id is not None:
                payload["tax_id"] = company.tax_id  # the CRM's VAT field, which links it to the ERP customer
            if company.parent is not None:
                payload["parent_id"] = self.companies[company.parent].ref
            company.crm = SourceRecord("customer", "salesforce", self.salesforce_id("001"), payload)
        if in_erp:
            payload = {
                "legal_name": company.legal_name,
                "tax_id": company.tax_id,
                "country": company.country,
                "currency": country.currency,
                "status": company.status,
            }
            company.erp = SourceRecord("customer", "netsuite", self.netsuite_id("customer"), payload)

    def _duplicate(self, company: _Company) -> SourceRecord:
        """A second CRM account of the same company: another spelling, no tax id, so no key links it."""
        assert company.crm is not None
        original = company.crm.payload["name"]
        name = self._name_variant(original, company)
        if self.rng.random() < 0.3:
            name = self._name_variant(name, company)
        while name == original:  # the second variant undid the first ("&" -> "and" -> "&")
            name = self._name_variant(name, company)
        payload: dict[str, Any] = {"name": name}
        website_roll = self.rng.random()
        if website_roll < 0.5:
            payload["website"] = company.website
        elif website_roll < 0.75:
            payload["website"] = company.website.replace("https://www.", "http://")
        if self.rng.random() < 0.7:
            payload["industry"] = company.industry
        address_roll = self.rng.random()
        if address_roll < 0.6:
            payload["billing_address"] = company.address
        elif address_roll < 0.9:
            payload["billing_address"] = self._address_variant(company.address)
        payload["country"] = company.country
        payload["status"] = self.rng.choice(("active", "prospect"))
        record = SourceRecord("customer", "salesforce", self.salesforce_id("001"), payload)
        company.duplicate = record
        return record

    def _name_variant(self, name: str, company: _Company) -> str:
        """Another way a sales rep writes the same company name; always differs from `name`."""
        variants: list[tuple[Callable[[str, _Company], str], int]] = [
            (self._legal_form, 3),
            (self._name_typo, 3),
            (self._upper_first, 1),
        ]
        if " & " in name or " and " in name:
            variants.append((self._ampersand, 4))
        if any(word in name for word in _ABBREVIATIONS) or _ascii(name) != name:
            variants.append((self._abbreviate, 3))
        variant = self.rng.choices([v for v, _ in variants], [w for _, w in variants])[0]
        return variant(name, company)

    def _upper_first(self, name: str, company: _Company) -> str:
        first, _, rest = name.partition(" ")
        upper = f"{first.upper()} {rest}".strip()
        return upper if upper != name else name.title()

    def _ampersand(self, name: str, company: _Company) -> str:
        if " & " in name:
            return name.replace(" & ", " and ")
        return name.replace(" and ", " & ")

    def _legal_form(self, name: str, company: _Company) -> str:
        form = company.legal_name.removeprefix(company.base).strip()
        if name.endswith(form):
            return (
                name.removesuffix(form).strip()
                if self.rng.random() < 0.5
                else name[: -len(form)] + _FORM_SPELLINGS[form]
            )
        return f"{name} {self.rng.choice((form, _FORM_SPELLINGS[form]))}"

    def _name_typo(self, name: str, company: _Company) -> str:
        words = name.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) >= 5]
        if not long_words:
            return name + "s"
        i = self.rng.choice(long_words)
        words[i] = self._typo(words[i])
        return " ".join(words)

    def _abbreviate(self, name: str, company: _Company) -> str:
        for word, short in _ABBREVIATIONS.items():
            if word in name:
                return name.replace(word, short)
        return _ascii(name)

    def _address_variant(self, address: dict[str, str]) -> dict[str, str]:
        variant = dict(address)
        for long, short in _ADDRESS_SHORTHANDS.items():
            if long in variant["line1"]:
                variant["line1"] = variant["line1"].replace(long, short)
                return variant
        variant.pop("postal_code", None)
        variant["city"] = variant["city"].upper()
        return variant

    # ---- rate cards (netsuite) --------------------------------------------------------

    def rate_cards(self) -> None:
        total = self.sizes["rate_card"]
        delivering = [i for i, e in enumerate(self.entities) if e.plan.delivers]
        customer_cards = max(1, round(total * 0.2))
        standard = min(total - customer_cards, len(_RATE_PERIODS) * len(delivering))
        customer_cards = total - standard
        records = []
        for k in range(standard):
            start, end, factor = _RATE_PERIODS[k // len(delivering)]
            entity_index = delivering[k % len(delivering)]
            entity = self.entities[entity_index]
            payload: dict[str, Any] = {
                "name": "Standard Rates",
                "currency": entity.currency,
                "legal_entity_id": entity.ref,
                "effective_from": start.isoformat(),
                "lines": self._rate_lines(entity.currency, factor * self.rng.uniform(0.95, 1.06)),
                "status": "active" if end is None else "inactive",
            }
            if end is not None:
                payload["effective_to"] = end.isoformat()
            record = SourceRecord("rate_card", "netsuite", self.netsuite_id("price_level"), payload)
            records.append(record)
            self.cards.append(_Card(record.ref, entity_index, None, start, end))
        clients = sorted(
            (c for c in self.companies if c.status == "active" and c.erp), key=lambda c: c.appetite, reverse=True
        )
        for company in clients[:customer_cards]:
            entity_index = self._home_entity(company.country, delivering)
            entity = self.entities[entity_index]
            start = date(self.rng.choice((2024, 2025)), self.rng.randint(1, 6), 1)
            end = None if self.rng.random() < 0.5 else date(start.year + 3, start.month, 1) - timedelta(days=1)
            payload = {
                "name": "Framework Agreement",
                "currency": entity.currency,
                "customer_id": company.ref,
                "legal_entity_id": entity.ref,
                "effective_from": start.isoformat(),
                "lines": self._rate_lines(entity.currency, self.rng.uniform(0.85, 0.95)),
                "status": "active",
            }
            if end is not None:
                payload["effective_to"] = end.isoformat()
            record = SourceRecord("rate_card", "netsuite", self.netsuite_id("price_level"), payload)
            records.append(record)
            self.cards.append(_Card(record.ref, entity_index, company.ref, start, end))
        self.add_step("rate_card", "netsuite", "price levels", records)

    def _rate_lines(self, currency: str, factor: float) -> list[dict[str, str]]:
        lines = []
        for title, eur in zip(_TITLES, _DAY_RATES_EUR, strict=True):
            day = round(eur * factor * _CURRENCY_FACTORS[currency] / 10) * 10
            hour = round(day / 8 * 1.1 / 5) * 5
            lines.append({"role": title, "unit": "day", "rate": _money(day)})
            lines.append({"role": title, "unit": "hour", "rate": _money(hour)})
        return lines

    def _home_entity(self, country: str, delivering: list[int]) -> int:
        """The entity that contracts with a client: one in its country, else the largest."""
        local = [i for i in delivering if self.entities[i].plan.country == country]
        if local:
            return local[0]
        return max(delivering, key=lambda i: self.entities[i].plan.weight)

    # ---- projects (certinia, netsuite) ------------------------------------------------

    def projects(self) -> None:
        delivering = [i for i, e in enumerate(self.entities) if e.plan.delivers]
        clients = [c for c in self.companies if c.status != "prospect"]
        prospects = [c for c in self.companies if c.status == "prospect"] or clients
        client_weights = [c.appetite for c in clients]
        sequence: dict[tuple[str, int], int] = {}
        psa, erp = [], []
        last_start = AS_OF + timedelta(days=120)
        starts = sorted(self.day_between(_FIRST_PROJECT_START, last_start) for _ in range(self.sizes["project"]))
        for start in starts:  # in date order, so that codes count up through each year
            proposed = start > AS_OF
            company = self.rng.choice(prospects) if proposed and self.rng.random() < 0.4 else None
            company = company or self.rng.choices(clients, client_weights)[0]
            customer = company.ref
            display = company.crm.payload["name"] if company.crm else company.base
            if company.duplicate is not None and self.rng.random() < 0.25:  # booked against the second account
                customer, display = company.duplicate.ref, company.duplicate.payload["name"]
            if self.rng.random() < 0.85:
                entity_index = self._home_entity(company.country, delivering)
            else:
                entity_index = self.rng.choices(delivering, [self.entities[i].plan.weight for i in delivering])[0]
            entity = self.entities[entity_index]
            model = self.rng.choices(_BILLING_MODELS, _BILLING_WEIGHTS)[0]
            days = self.rng.randint(365, 1095) if model == "managed_service" else self.rng.randint(30, 540)
            end = start + timedelta(days=days)
            status = self._project_status(start, end)
            if status == "cancelled":
                end = start + timedelta(days=self.rng.randint(7, 60))
            key = (entity.plan.country, start.year)
            sequence[key] = sequence.get(key, 0) + 1
            code = f"{entity.plan.country}-{start.year}-{sequence[key]:04d}"
            phase = f" Phase {self.rng.randint(2, 4)}" if self.rng.random() < 0.15 else ""
            delivery: dict[str, Any] = {
                "code": code,
                "name": f"{display} - {self.rng.choice(_ENGAGEMENTS)}{phase}",
                "customer_id": customer,
                "manager_id": self._project_manager(entity),
                "billing_model": model,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "status": status,
            }
            psa.append(SourceRecord("project", "certinia", self.salesforce_id("a0V"), delivery))
            if proposed:
                continue  # not sold yet: only the PSA knows it
            finance: dict[str, Any] = {  # the ERP's job: the code links it, the rest is its own
                "code": code,
                "customer_id": customer,
                "legal_entity_id": entity.ref,
                "cost_center_id": self.rng.choice(entity.delivery_centers or [entity.cost_centers[0][1].ref]),
                "currency": entity.currency,
                "contract_value": _money(self._contract_value(entity.currency, days, model)),
            }
            card = self._rate_card(entity_index, customer, start, model)
            if card is not None:
                finance["rate_card_id"] = card
            erp.append(SourceRecord("project", "netsuite", self.netsuite_id("job"), finance))
        self.add_step("project", "certinia", "projects", psa)
        self.add_step("project", "netsuite", "jobs", erp)

    def cost_rates(self) -> None:
        """The ERP's cost rate per worker (a day rate in the entity's currency), linked by
        worker number: the one employee field the default policy gives the ERP."""
        records = []
        rehired = {original for original, _ in self.employee_duplicates}  # golden has the second number
        for person in self.people:
            if person.ref in rehired:
                continue
            rate = round(_DAY_COST[person.grade] * self.rng.uniform(0.9, 1.1))
            payload = {"employee_number": person.number, "cost_rate": _money(rate)}
            records.append(SourceRecord("employee", "netsuite", self.netsuite_id("employee"), payload))
        self.add_step("employee", "netsuite", "cost rates", records)

    def _project_status(self, start: date, end: date) -> str:
        if start > AS_OF:
            return "proposed"
        roll = self.rng.random()
        if roll < 0.03:
            return "cancelled"
        if end < AS_OF:
            return "closed"
        return "on_hold" if roll < 0.12 else "active"

    def _project_manager(self, entity: _Entity) -> SourceRef:
        staff = [self.people[i] for i in entity.staff]
        managers = [p for p in staff if 1 <= p.grade <= 3 and p.status != "terminated"]
        return self.rng.choice(managers or staff[:1]).ref

    def _contract_value(self, currency: str, days: int, model: str) -> int:
        team = self.rng.randint(1, 8)
        working_days = days * 5 // 7
        value = working_days * team * 1400 * _CURRENCY_FACTORS[currency] * self.rng.uniform(0.5, 1.0)
        step = 5000 if model in ("fixed_fee", "milestone") else 1000
        return max(step, round(value / step) * step)

    def _rate_card(self, entity: int, customer: SourceRef, start: date, model: str) -> SourceRef | None:
        """The client's framework card if it covers the start, else the entity's standard card."""
        if model not in _RATE_CARD_MODELS and self.rng.random() < 0.5:
            return None
        fitting = [c for c in self.cards if c.entity == entity and c.covers(start)]
        own = [c for c in fitting if c.customer == customer]
        standard = [c for c in fitting if c.customer is None]
        chosen = own or standard
        return chosen[0].ref if chosen else None

    # ---- the whole estate ---------------------------------------------------------------

    def build(self) -> tuple[tuple[Step, ...], dict[str, int], tuple[tuple[SourceRef, SourceRef], ...]]:
        """The steps, the golden records they should make per domain, and the planted customer pairs."""
        self.legal_entities()
        self.cost_centers()
        self.employees()
        self.cost_center_owners()
        self.customers()
        self.rate_cards()
        self.projects()
        self.cost_rates()
        duplicates = tuple((c.ref, c.duplicate.ref) for c in self.companies if c.duplicate is not None)
        expected = {
            "legal_entity": len(self.entities),
            "cost_center": sum(len(e.cost_centers) for e in self.entities),
            "employee": len(self.people),
            "customer": len(self.companies) + len(duplicates),
            "rate_card": len(self.cards),
            "project": sum(len(s.records) for s in self.steps if s.domain == "project" and s.system == "certinia"),
        }
        return tuple(self.steps), expected, duplicates


def generate(seed: int = 7, scale: float = 1.0) -> DemoEstate:
    """The demo estate for a seed and scale: the same arguments always give the same estate."""
    builder = _Builder(seed, scale)
    steps, expected, customer_duplicates = builder.build()
    return DemoEstate(seed, scale, steps, expected, customer_duplicates, tuple(builder.employee_duplicates))


# ---- loading --------------------------------------------------------------------------


class DemoLoadError(RuntimeError):
    """The estate did not load as generated: an item was rejected or linked where it should not."""


def _decoded(record: SourceRecord, golden: dict[SourceRef, str]) -> dict[str, Any]:
    """The payload as the REST upsert would pass it on: references as the canonical ids they
    were given, then decoded with the domain's create contract."""
    where = f"{record.domain} {record.system}/{record.source_id}"
    payload = {}
    for name, value in record.payload.items():
        if isinstance(value, SourceRef):
            if value not in golden:
                raise DemoLoadError(f"{where}: {name} points at {value}, which is not loaded")
            value = golden[value]
        payload[name] = value
    try:
        return decode_payload(BY_NAME[record.domain], payload)
    except MdmError as exc:
        raise DemoLoadError(f"{where} does not fit the create contract: {exc.detail} {exc.errors}") from exc


async def _ingest_step(
    db: Database, step: Step, golden: dict[SourceRef, str], actor: Actor, advance: Callable[[int], None]
) -> None:
    domain = BY_NAME[step.domain]
    for start in range(0, len(step.records), BATCH):
        batch = step.records[start : start + BATCH]
        items = [SourceItem(r.system, r.source_id, _decoded(r, golden)) for r in batch]
        async with db.transaction() as session:
            results = await ingest(session, domain, items, actor)
            rejected = [(r, res) for r, res in zip(batch, results, strict=True) if isinstance(res, MdmError)]
            if rejected:  # raising here rolls the batch back
                lines = [
                    f"{r.system}/{r.source_id}: {e.detail} " + "; ".join(f"{f}: {m}" for f, m in e.errors)
                    for r, e in rejected[:5]
                ]
                raise DemoLoadError(
                    f"{len(rejected)} {step.domain} record(s) of step '{step.label}' rejected:\n" + "\n".join(lines)
                )
        ids = [result["id"] for result in results if not isinstance(result, MdmError)]
        golden.update(zip((r.ref for r in batch), ids, strict=True))
        advance(len(batch))


def _check_links(estate: DemoEstate, golden: dict[SourceRef, str]) -> None:
    """Every domain must end with exactly the golden records the generator meant: no stray
    link by key or score. A planted customer near-duplicate may stay apart or join its
    original (fuzzy matching found it), never another record."""
    planted = {dup: original for original, dup in estate.customer_duplicates}
    for domain, expected in estate.expected.items():
        ids = {golden[r.ref] for r in estate.records(domain) if r.ref not in planted}
        mine = {d: o for d, o in planted.items() if d.domain == domain}
        if len(ids) != expected - len(mine):
            raise DemoLoadError(
                f"{domain}: the estate's source records became {len(ids)} golden records "
                f"(planted duplicates aside), not {expected - len(mine)}"
            )
        for dup, original in mine.items():
            if golden[dup] != golden[original] and golden[dup] in ids:
                raise DemoLoadError(f"{domain}: planted duplicate {dup.source_id} joined an unrelated record")


async def count_goldens(db: Database) -> dict[str, int]:
    """Live (not merged-away) golden records per domain."""
    counts = {}
    async with db.sessionmaker(write=False)() as session:
        for d in DOMAINS:
            table = GOLDEN[d.name]
            stmt = select(func.count()).select_from(table).where(table.c.merged_into.is_(None))
            counts[d.name] = int((await session.execute(stmt)).scalar_one())
    return counts


async def load_demo(db: Database, *, seed: int = 7, scale: float = 1.0, progress: bool = True) -> dict[str, int]:
    """Generate the estate and ingest it as its source systems would; returns {domain_name: number of
    golden records after loading}.

    Each batch of up to 500 items is one transaction. A rejected item stops the load with a
    `DemoLoadError` (its batch rolls back): the estate is generated valid, so a rejection is a bug.
    Loading the same seed again links every record to the golden record it made the first time and
    changes nothing, except that cost centers lose their owners in the owner-less first pass and
    get them back in the owners pass (two versions each).
    """
    estate = generate(seed, scale)
    async with db.sessionmaker(write=False)() as session:
        policy = await load_policy(session)
    golden: dict[SourceRef, str] = {}
    columns = (TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress) as bar:
        tasks = {d: bar.add_task(d, total=n, start=False) for d, n in estate.record_counts().items()}
        for step in estate.steps:
            task = tasks[step.domain]
            bar.start_task(task)
            bar.update(task, description=f"{step.domain} ({step.system}: {step.label})")
            actor = Actor(principal=f"system:{step.system}", correlation_id="demo-load", policy=policy)
            await _ingest_step(db, step, golden, actor, partial(bar.advance, task))
            bar.update(task, description=step.domain)
    _check_links(estate, golden)
    return await count_goldens(db)
