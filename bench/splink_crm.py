#!/usr/bin/env python
"""The yardstick for bench/accounts.py: label-free Splink (DuckDB) on the same CRM exports.

Not part of the project (Splink is not a dependency): it runs in a venv of its own, on the
CSV files bench/crm_exports.py writes. `entity` is used only to score, never in cleaning,
blocking or training. Written by a helper as a competent Splink user would set it up
(cleaning, several blocking rules, u by random sampling, the prior from deterministic rules,
m by EM, term frequencies on name, postcode and city); see bench/README.md for its figures.

    python3 -m venv /tmp/splink && /tmp/splink/bin/pip install splink
    for level in medium hard; do for lang in en de; do
      ./run python bench/crm_exports.py --level $level --language $lang --out /tmp/crm
      ./run python bench/crm_exports.py --level $level --language $lang --out /tmp/crm/noweb --no-website
    done; done
    /tmp/splink/bin/python bench/splink_crm.py [--dir /tmp/crm] [--variant base|notf|simple_name|rawname|...]

  base         : full setup (the reported configuration)
  notf         : no term-frequency adjustments (name, postcode, city)
  simple_name  : name = plain JaroWinkler(0.92, 0.8) on name_clean (no sorted/nospace/token levels)
  rawname      : name_clean = lowercase + punctuation strip only (no legal-form/annotation removal)
  nophonefuzzy : phone exact-only instead of Levenshtein<=1
  em3          : only 3 EM sessions (postcode, name_first_token, website|phone);
                 base adds 2 more (duns, street_clean)
  recall03     : prior estimated with assumed deterministic-rule recall 0.3 instead of 0.6
"""

import argparse
import logging
import re
import sys
import time
import unicodedata

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression, DuckDBAPI, Linker, SettingsCreator, block_on

FILES = [
    "medium-en",
    "medium-de",
    "hard-en",
    "hard-de",
    "noweb/medium-en",
    "noweb/medium-de",
    "noweb/hard-en",
    "noweb/hard-de",
]
THRESHOLDS = [0.5, 0.9, 0.99]
DIR = "/tmp/crm"  # --dir

# ----------------------------------------------------------------------------- cleaning
LEGAL = {
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "gbr",
    "ev",
    "eg",
    "se",
    "co",
    "kgaa",
    "ltd",
    "limited",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "plc",
    "llp",
    "lp",
    "pty",
    "company",
    "sa",
    "sarl",
    "bv",
    "nv",
    "gesmbh",
    "haftungsbeschraenkt",
}
LEGAL |= {"ek", "ekfm", "mbh", "gesmbh", "partg", "the"}
LEGAL_PHRASES = [
    "gesellschaft mit beschraenkter haftung",
    "eingetragener kaufmann",
    "eingetragene kauffrau",
    "& co.",
    "& co",
    "and co",
]
JUNK_SEG = re.compile(
    r"^\s*(nicht verwenden|do not use|dublette|duplicate|zentrale|head office|"
    r"accounts payable|niederlassung\b.*|branch\b.*)\s*$"
)
TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "o"})


def base_norm(s):
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return None
    s = str(s).lower().translate(TRANSLIT)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s


def collapse_initials(tokens):
    # "g m b h" -> "gmbh" (from g.m.b.h.)
    out, buf = [], []
    for t in tokens:
        if len(t) == 1 and t.isalpha():
            buf.append(t)
        else:
            if buf:
                out.append("".join(buf))
                buf = []
            out.append(t)
    if buf:
        out.append("".join(buf))
    return out


def clean_name(s):
    s = base_norm(s)
    if not isinstance(s, str):
        return None
    s = re.sub(r"\(.*?\)", " ", s)  # parentheticals, e.g. "(alt)", "(duplicate)"
    # "X - accounts payable", "nicht verwenden - X": keep the first non-annotation segment
    segs = [g for g in re.split(r"\s[-\u2013/|]\s", s) if g.strip() and not JUNK_SEG.search(g)]
    s = segs[0] if segs else ""
    for ph in LEGAL_PHRASES:
        s = s.replace(ph, " ")
    s = re.sub(r"\bz\.?\s?hd\.?.*$", " ", s)  # "z.Hd. Buchhaltung" attention lines
    s = re.sub(r"[^a-z0-9]+", " ", s)
    toks = collapse_initials(s.split())
    toks = [t for t in toks if t not in LEGAL]
    out = " ".join(toks).strip()
    return out or None


STREET_ABBR = [
    (r"strasse\b", "str"),
    (r"str\b\.?", "str"),
    (r"\bstreet\b", "st"),
    (r"\broad\b", "rd"),
    (r"\bavenue\b", "ave"),
    (r"\bdrive\b", "dr"),
    (r"\blane\b", "ln"),
    (r"\bplace\b", "pl"),
    (r"\bboulevard\b", "blvd"),
    (r"\bplatz\b", "pl"),
    (r"\bweg\b", "weg"),
]


def clean_street(s):
    s = base_norm(s)
    if not isinstance(s, str):
        return None
    s = re.sub(r"[^a-z0-9]+", " ", s)
    for a, b in STREET_ABBR:
        s = re.sub(a, b, s)
    s = re.sub(r"\s+", " ", s).strip()
    return s or None


def street_number(s):
    if not isinstance(s, str):
        return None
    m = re.findall(r"\b(\d+[a-z]?)\b", s)
    return m[-1] if m else None


def clean_postcode(s):
    s = base_norm(s)
    if not isinstance(s, str):
        return None
    s = re.sub(r"[^a-z0-9]", "", s)
    return s or None


def clean_simple(s):
    s = base_norm(s)
    if not isinstance(s, str):
        return None
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    return s or None


def clean_phone(s):
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return None
    d = re.sub(r"\D", "", str(s))
    if len(d) < 6:
        return None
    return d[-9:]  # drop country code / trunk prefix: compare national significant tail


def clean_website(s):
    s = base_norm(s)
    if not isinstance(s, str):
        return None
    s = re.sub(r"^[a-z]+://", "", s.strip())
    s = s.split("/")[0].split("?")[0].split(":")[0]
    s = re.sub(r"^www\d?\.", "", s)
    return s or None


def clean_digits(s):
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return None
    d = re.sub(r"\D", "", str(s))
    return d or None


def soundex(word):
    if not isinstance(word, str):
        return None
    if not word:
        return None
    codes = {
        **dict.fromkeys("bfpv", "1"),
        **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt", "3"),
        "l": "4",
        **dict.fromkeys("mn", "5"),
        "r": "6",
    }
    word = re.sub(r"[^a-z]", "", word)
    if not word:
        return None
    out, last = word[0], codes.get(word[0], "")
    for c in word[1:]:
        code = codes.get(c, "")
        if code and code != last:
            out += code
        if c not in "hw":
            last = code
    return (out + "000")[:4]


def prepare(path, variant="base"):
    raw = pd.read_csv(path, dtype=str, keep_default_na=True)
    df = pd.DataFrame({"unique_id": raw["account_id"]})
    df["name_clean"] = raw["name"].map(clean_simple if variant == "rawname" else clean_name)
    df["name_sorted"] = df["name_clean"].map(
        lambda s: " ".join(sorted(s.split())) if isinstance(s, str) and s else None
    )
    df["name_nospace"] = df["name_clean"].map(lambda s: s.replace(" ", "") if isinstance(s, str) and s else None)
    df["name_tokens"] = df["name_clean"].map(lambda s: sorted(set(s.split())) if isinstance(s, str) and s else None)
    df["name_first_token"] = df["name_clean"].map(lambda s: s.split()[0] if isinstance(s, str) and s else None)
    df["name_sorted_first_token"] = df["name_sorted"].map(lambda s: s.split()[0] if isinstance(s, str) and s else None)
    df["name_soundex"] = df["name_first_token"].map(soundex)
    df["name_prefix4"] = df["name_nospace"].map(lambda s: s[:4] if isinstance(s, str) and len(s) >= 4 else None)
    df["street_clean"] = raw["street"].map(clean_street)
    df["street_num"] = df["street_clean"].map(lambda s: street_number(s) if isinstance(s, str) else None)
    df["postcode"] = raw["postcode"].map(clean_postcode)
    df["city"] = raw["city"].map(clean_simple)
    df["country"] = raw["country"].map(clean_simple)
    df["phone"] = raw["phone"].map(clean_phone)
    df["website"] = raw["website"].map(clean_website)
    df["duns"] = raw["duns"].map(clean_digits)
    labels = raw[["account_id", "entity"]].rename(columns={"account_id": "unique_id"})
    return df, labels


# ----------------------------------------------------------------------------- model
def build_settings(variant, has_website):
    tf = variant != "notf"

    if variant == "simple_name":
        name_cmp = cl.JaroWinklerAtThresholds("name_clean", [0.92, 0.8]).configure(term_frequency_adjustments=tf)
    else:
        name_cmp = cl.CustomComparison(
            output_column_name="name",
            comparison_levels=[
                cll.NullLevel("name_clean"),
                cll.ExactMatchLevel("name_clean", term_frequency_adjustments=tf),
                cll.Or(cll.ExactMatchLevel("name_sorted"), cll.ExactMatchLevel("name_nospace")).configure(
                    label_for_charts="token-reordered / spacing exact"
                ),
                cll.JaroWinklerLevel("name_clean", 0.92),
                cll.Or(cll.JaroWinklerLevel("name_sorted", 0.88), cll.JaroWinklerLevel("name_nospace", 0.88)).configure(
                    label_for_charts="sorted/nospace JW>=0.88"
                ),
                cll.ArrayIntersectLevel("name_tokens", 2),
                cll.JaroWinklerLevel("name_clean", 0.8),
                cll.ArrayIntersectLevel("name_tokens", 1),
                cll.ElseLevel(),
            ],
        )

    comparisons = [
        name_cmp,
        cl.CustomComparison(
            output_column_name="street",
            comparison_levels=[
                cll.NullLevel("street_clean"),
                cll.ExactMatchLevel("street_clean"),
                cll.JaroWinklerLevel("street_clean", 0.9),
                cll.And(cll.JaroWinklerLevel("street_clean", 0.75), cll.ExactMatchLevel("street_num")),
                cll.JaroWinklerLevel("street_clean", 0.75),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="postcode",
            comparison_levels=[
                cll.NullLevel("postcode"),
                cll.ExactMatchLevel("postcode", term_frequency_adjustments=tf),
                cll.LevenshteinLevel("postcode", 1),
                cll.ExactMatchLevel(ColumnExpression("postcode").substr(1, 3)),
                cll.ElseLevel(),
            ],
        ),
        cl.JaroWinklerAtThresholds("city", [0.88]).configure(term_frequency_adjustments=tf),
        cl.ExactMatch("country"),
        (cl.ExactMatch("phone") if variant == "nophonefuzzy" else cl.LevenshteinAtThresholds("phone", [1])),
        cl.LevenshteinAtThresholds("duns", [1]),
    ]
    if has_website:
        comparisons.append(cl.LevenshteinAtThresholds("website", [1, 2]))

    blocking = [
        block_on("postcode"),
        block_on("phone"),
        block_on("duns"),
        block_on("name_first_token"),
        block_on("name_sorted_first_token"),
        block_on("name_soundex", "city"),
        block_on("name_prefix4"),
        block_on("street_clean"),
        block_on("street_num", "city"),
        block_on("street_num", ColumnExpression("street_clean").substr(1, 3)),
    ]
    if has_website:
        blocking.insert(1, block_on("website"))

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


# ----------------------------------------------------------------------------- scoring
def pairs_from_groups(labels, key):
    c = labels.groupby(key).size()
    return int((c * (c - 1) // 2).sum())


def prf(tp, npred, ntrue):
    p = tp / npred if npred else 0.0
    r = tp / ntrue if ntrue else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def run_file(fname, variant, log):
    path = f"{DIR}/{fname}.csv"
    df, labels = prepare(path, variant)
    has_website = df["website"].notna().any()
    ent = labels.set_index("unique_id")["entity"]
    ntrue = pairs_from_groups(labels, "entity")

    con = duckdb.connect()
    con.execute("SET threads=1")
    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(df, dataset_display_name="input")
    linker = Linker(sdf, build_settings(variant, has_website), log_level=logging.WARNING)

    # prior: deterministic rules (label-free), recall guess
    det_rules = [
        block_on("duns", "name_first_token"),
        block_on("phone", "name_first_token"),
        block_on("postcode", "name_clean"),
    ]
    if has_website:
        det_rules.append(block_on("website", "name_first_token"))
    linker.training.estimate_probability_two_random_records_match(
        det_rules, recall=0.3 if variant == "recall03" else 0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    em_rules = [block_on("postcode"), block_on("name_first_token")]
    if has_website:
        em_rules.append(block_on("website"))
    else:
        em_rules.append(block_on("phone"))
    if variant != "em3":
        em_rules += [block_on("duns"), block_on("street_clean")]
    for br in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(br)

    pred = linker.inference.predict(threshold_match_probability=None, warning_mode="never")
    pdf = pred.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    pdf["tp"] = pdf["unique_id_l"].map(ent).values == pdf["unique_id_r"].map(ent).values
    pc = pdf["tp"].sum() / ntrue
    res = {"file": fname, "variant": variant, "n_blocked": len(pdf), "pair_completeness": pc, "true_pairs": ntrue}
    for t in THRESHOLDS:
        sel = pdf[pdf["match_probability"] >= t]
        p, r, f = prf(int(sel["tp"].sum()), len(sel), ntrue)
        res[f"pair_{t}"] = (p, r, f)
        cl_df = linker.clustering.cluster_pairwise_predictions_at_threshold(
            pred, threshold_match_probability=t
        ).as_pandas_dataframe()[["unique_id", "cluster_id"]]
        cl_df["entity"] = cl_df["unique_id"].map(ent)
        npred = pairs_from_groups(cl_df, "cluster_id")
        tp = pairs_from_groups(cl_df, ["cluster_id", "entity"])
        res[f"clu_{t}"] = prf(tp, npred, ntrue)
    if log:
        mw = linker._settings_obj._probability_two_random_records_match
        print(f"  [{fname}] prior={mw:.5f} blocked={len(pdf)} PC={pc:.4f}", file=sys.stderr)
    con.close()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="base")
    ap.add_argument("--dir", default="/tmp/crm", help="where bench/crm_exports.py wrote the files")
    ap.add_argument("--files", default=",".join(FILES))
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    global DIR
    DIR = a.dir
    rows = []
    for f in a.files.split(","):
        t0 = time.time()
        r = run_file(f, a.variant, True)
        print(f"  [{f}] done in {time.time() - t0:.0f}s", file=sys.stderr)
        rows.append(r)

    print(f"\nvariant={a.variant}")
    print(f"{'file':<17}{'PC':>7}{'blocked':>9} | " + " | ".join(f"clu@{t:<5} P     R     F1  " for t in THRESHOLDS))
    for r in rows:
        line = f"{r['file']:<17}{r['pair_completeness']:7.3f}{r['n_blocked']:9d} | "
        line += " | ".join("       {:.3f} {:.3f} {:.3f}".format(*r[f"clu_{t}"]) for t in THRESHOLDS)
        print(line)
    print(
        f"\n{'file':<17}{'(pairwise, unclustered)':>16} | "
        + " | ".join(f"pair@{t:<5} P     R     F1 " for t in THRESHOLDS)
    )
    for r in rows:
        line = f"{r['file']:<17}{'':>16} | "
        line += " | ".join("       {:.3f} {:.3f} {:.3f}".format(*r[f"pair_{t}"]) for t in THRESHOLDS)
        print(line)
    if a.out:
        flat = []
        for r in rows:
            d = {k: v for k, v in r.items() if not isinstance(v, tuple)}
            for k, v in r.items():
                if isinstance(v, tuple):
                    d[k + "_P"], d[k + "_R"], d[k + "_F1"] = v
            flat.append(d)
        pd.DataFrame(flat).to_csv(a.out, index=False)


if __name__ == "__main__":
    main()
