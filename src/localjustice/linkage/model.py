"""The probabilistic model: comparisons, blocking rules, unsupervised training, scoring.

Fellegi-Sunter as implemented by Splink (Ministry of Justice), on whichever engine the warehouse
runs: ``warehouse.splink_api()`` gives Splink's ``DuckDBAPI`` (a private in-memory DuckDB, so
Splink's working tables never land in the warehouse file) or its ``SparkAPI`` (the warehouse's
session, with Splink's similarity jar). The linkage input (``records.py``) goes in as Arrow and the
scored pairs come back as Arrow; everything run here besides Splink's own steps is SQL that both
engines read alike, sent through Splink's database API.

Comparisons are chosen for agency identity data:

- ``name``: exact; forename and surname swapped; same surname with forenames that share a formal
  name (nicknames: Bill / William); both names close (Jaro-Winkler 0.92 / 0.88); surname only;
  forename only (a changed surname).
- ``date_of_birth``: exact; day and month transposed; one typed digit wrong or two adjacent
  digits swapped (Damerau-Levenshtein 1 on ``YYYYMMDD``); within a year.
- ``sex``, ``postcode`` (full, then district) and ``pnc_id`` (exact: a valid PNC id is almost
  unique, and its absence says nothing, so a missing id is a null level of weight zero).

Parameters are learnt without labels (Splink's method): ``u`` from random pairs, the prior from
deterministic rules with an assumed recall, and ``m`` by expectation maximisation over two
blocked samples, each blocking on columns the other leaves free so every comparison is
estimated once.

**A saved model is engine-neutral.** Splink's own model JSON carries each level's SQL in the
dialect it was trained on (``jaro_winkler_similarity("forename_std_l", ...)`` on DuckDB,
``jaro_winkler(`forename_std_l`, ...)`` on Spark), so a model trained on one engine cannot be
loaded on the other. Ours keeps the comparisons where they are defined, in code, through Splink's
comparison-library constructors, and saves only what training learnt: the prior, and ``m`` and
``u`` for every level keyed by comparison and level label, with the blocking rules as plain
equi-joins that read the same on every engine (``portable_model``). Scoring renders the
comparisons for the engine at hand and puts the saved parameters back (``splink_settings``).
Files in the earlier format (Splink's JSON, DuckDB's SQL) still load on DuckDB as saved, and on
Spark when their comparisons are exactly this version's.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import splink
import splink.comparison_level_library as cll
import splink.comparison_library as cl
import sqlglot
from splink import Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.exceptions import EMTrainingException

from localjustice.errors import LocalJusticeError
from localjustice.warehouse import Warehouse

logger = logging.getLogger(__name__)

LinkType = Literal["link_and_dedupe", "link_only"]

#: Columns of the standard linkage input that the model reads.
MODEL_COLUMNS = (
    "unique_id", "unit_id", "source", "forename_std", "forename_canonical", "forename_full",
    "surname_std",
    "dob", "dob_str", "dob_year", "dob_month", "dob_day", "sex", "postcode",
    "postcode_district", "pnc_id",
)


@dataclass(frozen=True)
class BlockingRule:
    """A named equi-join; a pair is scored when any rule puts it in the same block."""

    name: str
    sql: str


#: Chosen for recall at a bounded cost, and measured (pairs each rule adds are in the report;
#: on synthetic London at scale 1, about 680,000 records, they give ~3.5 million pairs where
#: date of birth alone would give 10 million and forename + surname 125 million). Every kind of
#: error the comparisons forgive leaves at least one rule satisfied: a valid PNC id catches
#: pairs whose names and dates both differ; surname + date of birth catches any forename error
#: (typo, nickname); forename + date of birth any surname error; forename + surname + birth year
#: a day/month transposition or a typed digit in day or month; the swap rule transposed names;
#: forename + surname + postcode district a wrong birth year.
BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("pnc_id", "l.pnc_id = r.pnc_id"),
    BlockingRule("surname+date of birth", "l.surname_std = r.surname_std AND l.dob = r.dob"),
    BlockingRule("forename+date of birth",
                 "l.forename_canonical = r.forename_canonical AND l.dob = r.dob"),
    BlockingRule("forename+surname+birth year", "l.forename_canonical = r.forename_canonical "
                 "AND l.surname_std = r.surname_std AND l.dob_year = r.dob_year"),
    BlockingRule("names swapped+date of birth", "l.forename_full = r.surname_std "
                 "AND l.surname_std = r.forename_full AND l.dob = r.dob"),
    BlockingRule("forename+surname+district", "l.forename_canonical = r.forename_canonical "
                 "AND l.surname_std = r.surname_std "
                 "AND l.postcode_district = r.postcode_district"),
)

#: Rules that admit almost no false matches, used to estimate the prior match probability.
DETERMINISTIC_RULES = (
    "l.pnc_id = r.pnc_id",
    "l.forename_std = r.forename_std AND l.surname_std = r.surname_std AND l.dob = r.dob",
)
#: Assumed share of true matches the deterministic rules find (names and dates are noisy).
DETERMINISTIC_RECALL = 0.7


def _name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.Or(cll.NullLevel("forename_std"), cll.NullLevel("surname_std")),
            cll.And(cll.ExactMatchLevel("forename_std"), cll.ExactMatchLevel("surname_std"))
            .configure(label_for_charts="Exact forename and surname"),
            cll.CustomLevel(
                "forename_full_l = surname_std_r AND surname_std_l = forename_full_r",
                label_for_charts="Forename and surname swapped",
            ),
            cll.And(cll.ExactMatchLevel("forename_canonical"),
                    cll.ExactMatchLevel("surname_std"))
            .configure(label_for_charts="Same surname, forename a nickname of the other"),
            cll.And(cll.JaroWinklerLevel("forename_std", 0.92),
                    cll.JaroWinklerLevel("surname_std", 0.92))
            .configure(label_for_charts="Both names Jaro-Winkler >= 0.92"),
            cll.And(cll.JaroWinklerLevel("forename_canonical", 0.88),
                    cll.JaroWinklerLevel("surname_std", 0.88))
            .configure(label_for_charts="Both names Jaro-Winkler >= 0.88"),
            cll.ExactMatchLevel("surname_std").configure(label_for_charts="Surname only"),
            cll.ExactMatchLevel("forename_canonical")
            .configure(label_for_charts="Forename only"),
            cll.ElseLevel(),
        ],
    )


#: Damerau-Levenshtein 1 on ``YYYYMMDD``, computed only where it can hold. One wrong digit or one
#: swap of adjacent digits leaves the year (a change in month or day) or the day (a change in
#: the year, or the swap of the year's last digit with the month's first) as it was, so a pair
#: agreeing on neither is not at distance 1. Random pairs agree on one of them about 5% of the
#: time, and the distance (1.7 s per million pairs on DuckDB, where the test costs 0.01 s) is
#: then worked out for them alone: the nested CASE is what makes the engine skip it (an AND is
#: not short-circuited). Same level as ``damerau_levenshtein(dob_str_l, dob_str_r) <= 1``, which
#: earlier versions tested (``_EARLIER_CONDITIONS``).
ONE_DIGIT_CONDITION = ("CASE WHEN dob_year_l = dob_year_r OR dob_day_l = dob_day_r "
                       "THEN damerau_levenshtein(dob_str_l, dob_str_r) <= 1 ELSE false END")


def _dob_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="Exact date of birth"),
            cll.CustomLevel(
                "dob_year_l = dob_year_r AND dob_month_l = dob_day_r "
                "AND dob_day_l = dob_month_r",
                label_for_charts="Day and month transposed",
            ),
            cll.CustomLevel(ONE_DIGIT_CONDITION,
                            label_for_charts="One digit wrong or two adjacent digits swapped"),
            cll.AbsoluteDateDifferenceLevel("dob", threshold=1, metric="year",
                                            input_is_string=False)
            .configure(label_for_charts="Within a year"),
            cll.ElseLevel(),
        ],
    )


def _postcode_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="Same postcode"),
            cll.ExactMatchLevel("postcode_district")
            .configure(label_for_charts="Same postcode district"),
            cll.ElseLevel(),
        ],
    )


def _blocking_sql(rule: BlockingRule, link_type: LinkType) -> str:
    """The rule plus: never pair a unit with itself; in link-only work, never within a source."""
    sql = f"{rule.sql} AND l.unit_id <> r.unit_id"
    if link_type == "link_only":
        sql += " AND l.source <> r.source"
    return sql


def linkage_settings(link_type: LinkType = "link_and_dedupe") -> SettingsCreator:
    """The model's settings; all records sit in one table, so Splink deduplicates it whole."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name_comparison(),
            _dob_comparison(),
            cl.ExactMatch("sex"),
            _postcode_comparison(),
            cl.ExactMatch("pnc_id"),
        ],
        blocking_rules_to_generate_predictions=[
            CustomRule(_blocking_sql(rule, link_type)) for rule in BLOCKING_RULES
        ],
        additional_columns_to_retain=["unit_id", "source"],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )



@functools.lru_cache(maxsize=8)
def _rendered(link_type: LinkType, dialect: str) -> dict[str, Any]:
    return linkage_settings(link_type).create_settings_dict(dialect)


def rendered_settings(link_type: LinkType, dialect: str) -> dict[str, Any]:
    """``linkage_settings(link_type)`` as Splink's settings dict for ``dialect`` (a copy: the
    caller may fill in parameters).

    Rendered once per process: Splink builds each level's SQL through sqlglot, which costs
    0.1 to 0.2 s a time, and a scoring run rendered it three times (checking the saved model
    twice, then for the settings), a tenth of an incremental run
    (``benchmarks/bench_linkage_incremental.py``). The comparisons are this module's code, so
    the rendering cannot change within a process."""
    return copy.deepcopy(_rendered(link_type, dialect))


#: Pairs sampled for each EM session: plenty for ~40 parameters, and bounded at any scale.
EM_MAX_PAIRS = 2e6
#: Pairs per chunk when sampling for u. Splink splits the sample into chunks (10 by default) and
#: a probe before them, per comparison, to bound memory and stop once every level has been seen
#: 100 times; a comparison with a rare level (swapped names) never stops early, so it runs all
#: eleven. Each chunk is a query, which costs little on DuckDB but about a second on Spark
#: whatever its size: chunks of a million pairs keep the memory bound and spare a small
#: sample 50 queries.
U_PAIRS_PER_CHUNK = 1e6


#: Random pairs per linkage record that u sampling is allowed, below the cap ``u_max_pairs``: a
#: small input gets a smaller sample. Measured: on FEBRL4 (10,000 records) 1e6 pairs give the
#: same model quality as 5e6 (F1 0.9896 both, and 0.9896 at 5e5) in 2.1 s of training instead of
#: 4.7 s; on synthetic London at scale 1 (678,000 records) 1e6 would cost 0.001 F1 (0.9887
#: against 0.9897), so a large input keeps the cap.
U_PAIRS_PER_RECORD = 100


def u_sample_pairs(records: int, u_max_pairs: float) -> float:
    """How many random pairs u sampling draws for ``records`` linkage records."""
    return float(min(u_max_pairs, max(U_PAIRS_PER_RECORD * records, 1e5)))


def train(linker: Linker, *, seed: int, u_max_pairs: float) -> None:
    """Unsupervised estimation: prior from deterministic rules, u by sampling, m by EM."""
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=u_max_pairs, seed=seed,
        num_chunks=max(1, min(10, math.ceil(u_max_pairs / U_PAIRS_PER_CHUNK))))
    # Blocked on date of birth: learns name, sex, postcode and PNC m values.
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), max_pairs=EM_MAX_PAIRS)
    # Blocked on names and district: learns date of birth, sex and PNC m values. Data without
    # postcodes (no districts) blocks on names alone. A session that finds no pairs leaves
    # the linker holding only the comparisons it would have trained (Splink 5 filters the
    # linker's own settings in place before it fails), so they are put back before the retry.
    settings = linker._settings_obj
    before = settings.core_model_settings.copy()  # type: ignore[no-untyped-call]
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("forename_canonical", "surname_std", "postcode_district"),
            max_pairs=EM_MAX_PAIRS)
    except EMTrainingException:
        settings.core_model_settings = before
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("forename_canonical", "surname_std"), max_pairs=EM_MAX_PAIRS)


#: Floor on any m or u probability after training. EM on clean data can drive the m of a level
#: that true matches never showed (a sex or PNC disagreement) to ~1e-60, a weight of -200 that
#: no later evidence could outweigh; agency data always has some such errors, so no level is
#: allowed to be more than about 10 bits against a match on that ground alone.
PROBABILITY_FLOOR = 1e-3
U_FLOOR = 1e-6
#: m for levels too rare in a delivery for EM to see (starting values, from the error rates
#: agencies' identity data typically shows: a few per cent nicknames, ~1% swapped names or
#: transposed dates). EM replaces them whenever the data holds such pairs.
PRIOR_M = {
    "Forename and surname swapped": 0.01,
    "Same surname, forename a nickname of the other": 0.03,
    "Day and month transposed": 0.015,
    "One digit wrong or two adjacent digits swapped": 0.01,
    "Same postcode district": 0.1,
}


def regularise(model: dict[str, Any]) -> dict[str, Any]:
    """Fill m (and u) of levels training could not see and floor them, renormalising m."""
    for comparison in model.get("comparisons", []):
        levels = [lv for lv in comparison.get("comparison_levels", [])
                  if not lv.get("is_null_level")]
        for level in levels:
            label = level.get("label_for_charts", "")
            m = level.get("m_probability")
            level["m_probability"] = max(PRIOR_M.get(label, PROBABILITY_FLOOR) if m is None else m,
                                         PROBABILITY_FLOOR)
            u = level.get("u_probability")
            level["u_probability"] = max(U_FLOOR if u is None else u, U_FLOOR)
        total = sum(lv["m_probability"] for lv in levels)
        for level in levels:
            level["m_probability"] /= total
    return model



# --- the saved model, engine-neutral -----------------------------------------------------------

#: What a portable model file says it is; the version rises when its shape changes.
MODEL_FORMAT = "localjustice-linkage-model"
MODEL_FORMAT_VERSION = 2
#: The engines whose SQL Splink renders for us (Splink's dialect names).
MODEL_DIALECTS = ("duckdb", "spark")

#: A blocking rule every engine reads alike: equalities and inequalities between a left and a
#: right column, joined by AND (the form all of ours take).
_NEUTRAL_TERM = r"l\.[A-Za-z_][A-Za-z0-9_]*\s*(?:=|<>)\s*r\.[A-Za-z_][A-Za-z0-9_]*"
_NEUTRAL_RULE = re.compile(rf"\s*{_NEUTRAL_TERM}(?:\s+AND\s+{_NEUTRAL_TERM})*\s*", re.IGNORECASE)


class ModelNotPortable(LocalJusticeError):
    """A saved model whose comparisons or blocking rules this version cannot render anew."""


def is_portable(model: dict[str, Any]) -> bool:
    """Whether ``model`` is in the engine-neutral format (not Splink's own settings JSON)."""
    return model.get("format") == MODEL_FORMAT


def _comparison_levels(dialect: str) -> list[dict[str, Any]]:
    """This version's comparisons as Splink renders them for ``dialect``."""
    comparisons: list[dict[str, Any]] = rendered_settings("link_and_dedupe", dialect)["comparisons"]
    return comparisons


def _same_condition(saved: str, ours: str, dialect: str) -> bool:
    """Whether two level conditions are the same SQL (compared as parsed, not as text)."""
    if saved.strip() == ours.strip():
        return True
    try:
        return bool(sqlglot.parse_one(saved, read=dialect) == sqlglot.parse_one(ours, read=dialect))
    except sqlglot.errors.ParseError:
        return False


def _earlier_conditions(label: str, dialect: str) -> list[str]:
    """How earlier versions wrote a level that still means the same (a saved model of theirs
    carries that SQL)."""
    if label == "One digit wrong or two adjacent digits swapped":
        level = cll.DamerauLevenshteinLevel("dob_str", 1).get_comparison_level(dialect)
        return [level.sql_condition]
    return []


def _check_comparisons(saved: list[dict[str, Any]], dialect: str | None) -> None:
    """Raise unless ``saved`` has this version's comparisons and levels, in order.

    Levels are matched by label; with ``dialect`` (a Splink JSON model) their SQL must also be
    what this version renders for that dialect, so a level whose label stayed while its rule
    changed is caught.
    """
    ours = _comparison_levels(dialect or "duckdb")
    names = [c.get("output_column_name") for c in saved]
    if names != [c["output_column_name"] for c in ours]:
        raise ModelNotPortable(f"its comparisons are {names}, this version's "
                               f"{[c['output_column_name'] for c in ours]}")
    for mine, theirs in zip(ours, saved, strict=True):
        levels = theirs.get("comparison_levels", [])
        labels = [lv.get("label_for_charts") for lv in levels]
        if labels != [lv["label_for_charts"] for lv in mine["comparison_levels"]]:
            raise ModelNotPortable(f"its {mine['output_column_name']} comparison has the levels "
                                   f"{labels}, this version's "
                                   f"{[lv['label_for_charts'] for lv in mine['comparison_levels']]}")
        if dialect is None:
            continue
        for our_level, level in zip(mine["comparison_levels"], levels, strict=True):
            saved_sql = str(level.get("sql_condition", ""))
            if not any(_same_condition(saved_sql, sql, dialect) for sql in (
                    our_level["sql_condition"],
                    *_earlier_conditions(our_level["label_for_charts"], dialect))):
                raise ModelNotPortable(
                    f"its level {level.get('label_for_charts')!r} of {mine['output_column_name']} "
                    f"tests {level.get('sql_condition')!r}, this version "
                    f"{our_level['sql_condition']!r}")


def _neutral_rule(rule: Any) -> dict[str, str]:
    """A saved blocking rule in the neutral form, or ``ModelNotPortable``."""
    sql = rule.get("blocking_rule") if isinstance(rule, dict) else rule
    if not isinstance(sql, str) or not _NEUTRAL_RULE.fullmatch(sql):
        raise ModelNotPortable(f"its blocking rule {sql!r} is not a plain equi-join of left and "
                               "right columns")
    sql = " ".join(sql.split())
    return {"name": _rule_name(sql), "sql": sql}


def _link_type_of(rules: list[dict[str, str]]) -> LinkType:
    """Link-only work adds ``l.source <> r.source`` to every rule (``_blocking_sql``)."""
    if rules and all("l.source <> r.source" in rule["sql"] for rule in rules):
        return "link_only"
    return "link_and_dedupe"


def _parameters(level: dict[str, Any]) -> dict[str, Any]:
    """What training learnt about one level, and what identifies it."""
    out: dict[str, Any] = {"label_for_charts": level["label_for_charts"]}
    if level.get("is_null_level"):
        out["is_null_level"] = True
        return out
    for key in ("m_probability", "u_probability"):
        if level.get(key) is not None:
            out[key] = float(level[key])
    return out


def portable_model(model: dict[str, Any]) -> dict[str, Any]:
    """The engine-neutral form of a trained model.

    ``model`` is Splink's settings JSON in either engine's dialect (``save_model_to_json()``, or
    a file saved by an earlier version) or already portable (checked, and copied). Raises
    ``ModelNotPortable`` when its comparisons or blocking rules are not this version's: the
    parameters of a level can only be carried over to the same level.
    """
    if is_portable(model):
        _check_portable(model)
        return copy.deepcopy(model)
    dialect = model.get("sql_dialect")
    if dialect not in MODEL_DIALECTS:
        raise ModelNotPortable(f"it records no SQL dialect Splink can render ({dialect!r})")
    comparisons = model.get("comparisons", [])
    _check_comparisons(comparisons, str(dialect))
    rules = [_neutral_rule(r) for r in model.get("blocking_rules_to_generate_predictions", [])]
    prior = model.get("probability_two_random_records_match")
    # ``trained_on`` and ``splink_version`` are for the reader (the report, an auditor); loading
    # needs neither.
    return {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "trained_on": dialect,
        "splink_version": splink.__version__,
        "link_type": _link_type_of(rules),
        "probability_two_random_records_match": None if prior is None else float(prior),
        "blocking_rules": rules,
        "comparisons": [
            {"output_column_name": c["output_column_name"],
             "comparison_description": c.get("comparison_description", ""),
             "comparison_levels": [_parameters(lv) for lv in c.get("comparison_levels", [])]}
            for c in comparisons
        ],
    }


def _check_portable(model: dict[str, Any]) -> None:
    version = model.get("format_version")
    if not isinstance(version, int) or version > MODEL_FORMAT_VERSION:
        raise ModelNotPortable(f"it is format version {version!r}; this version reads up to "
                               f"{MODEL_FORMAT_VERSION} (a newer Local Justice saved it)")
    _check_comparisons(model.get("comparisons", []), None)
    for rule in model.get("blocking_rules", []):
        _neutral_rule(rule.get("sql") if isinstance(rule, dict) else rule)
    if not model.get("blocking_rules"):
        raise ModelNotPortable("it has no blocking rules")


def splink_settings(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """Splink's settings for ``dialect``: our comparisons rendered there, the model's parameters.

    A model in the earlier format (Splink's JSON) is used as saved on its own engine, and
    converted for the other when its comparisons are exactly this version's.
    """
    if not is_portable(model):
        if model.get("sql_dialect", "duckdb") == dialect:
            return copy.deepcopy(model)
        try:
            model = portable_model(model)
        except ModelNotPortable as exc:
            raise ModelNotPortable(
                f"This linkage model was saved by an earlier version for "
                f"{model.get('sql_dialect', 'duckdb')}, with that engine's SQL, and cannot be "
                f"used on {dialect}: {exc}. Train a model on {dialect} (run `localjustice link` "
                "without --model), or use this one on the engine it was saved for.") from None
    else:
        _check_portable(model)
    settings = rendered_settings(model.get("link_type", "link_and_dedupe"), dialect)
    for ours, saved in zip(settings["comparisons"], model["comparisons"], strict=True):
        for level, params in zip(ours["comparison_levels"], saved["comparison_levels"], strict=True):
            for key in ("m_probability", "u_probability"):
                if key in params and not level.get("is_null_level"):
                    level[key] = params[key]
    if model.get("probability_two_random_records_match") is not None:
        settings["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule["sql"], "sql_dialect": dialect} for rule in model["blocking_rules"]
    ]
    settings["sql_dialect"] = dialect
    return settings


def load_model(path: Path) -> dict[str, Any]:
    """A saved model: the portable format, or Splink's settings JSON of earlier versions."""
    try:
        model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocalJusticeError(f"No linkage model at {path}. Train one by running "
                                "`localjustice link` without --model.") from None
    except json.JSONDecodeError as exc:
        raise LocalJusticeError(f"The linkage model at {path} is not valid JSON ({exc}).") from None
    if not isinstance(model, dict) or "comparisons" not in model:
        raise LocalJusticeError(f"{path} is not a linkage model: it has no comparisons.")
    if is_portable(model):
        try:
            _check_portable(model)
        except ModelNotPortable as exc:
            raise ModelNotPortable(f"The linkage model at {path} cannot be used: {exc}. Train a "
                                   "new one by running `localjustice link` without --model.") from None
    return model


# --- scoring -------------------------------------------------------------------------------------

@dataclass
class ScoredPairs:
    """What a probabilistic run hands on: unit pairs and the figures the report shows."""

    pairs: pa.Table
    comparisons: int
    blocking_counts: list[tuple[str, int]]
    weight_histogram: list[tuple[float, float, int]]
    #: the model that scored them, portable (earlier-format models that cannot be: as saved)
    model: dict[str, Any]


def _histogram_sql(table: str, bin_width: float) -> str:
    # floor() is an integer on Spark and a double on DuckDB: cast so both give doubles.
    start = f"CAST(floor(match_weight / {bin_width!r}) AS DOUBLE) * {bin_width!r}"
    return f"""
        SELECT {start} AS bin_start, {start} + {bin_width!r} AS bin_end, count(*) AS pairs
        FROM {table}
        GROUP BY 1, 2
    """


def _unit_pairs_sql(table: str, review_floor: float) -> str:
    """Each pair of units once, scored by the best pair of their variants."""
    return f"""
        SELECT least(unit_id_l, unit_id_r) AS unit_id_l,
               greatest(unit_id_l, unit_id_r) AS unit_id_r,
               max(match_probability) AS match_probability,
               max(match_weight) AS match_weight,
               CAST(NULL AS STRING) AS rule
        FROM {table}
        WHERE unit_id_l <> unit_id_r AND match_probability >= {review_floor!r}
        GROUP BY least(unit_id_l, unit_id_r), greatest(unit_id_l, unit_id_r)
    """


def _read(db_api: Any, sql: str) -> pa.Table:
    """Run one query through Splink's database API (so on its engine) and return it as Arrow."""
    frame = db_api.query_sql(sql)
    try:
        table: pa.Table = frame.as_pyarrow_table()
    finally:
        frame.drop_table_from_database_and_remove_from_cache()
    return table


def _drop_working_tables(db_api: Any, records_name: str) -> None:
    """Drop every table and view this run made through Splink's API, and its input.

    On Spark they are temporary views in a session that outlives the run, and Splink's own
    ``drop_table_from_database_and_remove_from_cache`` leaves them there (on Spark it drops only
    Delta tables), so each run would leave ~100 views behind. Splink records what it ran
    (``executed_queries``) and registered (``_registered_table_names``); both are dropped here
    through its engine-neutral ``delete_table_from_database``. A failure is logged, never
    raised, so it cannot hide the error that ended the run.
    """
    names = {frame.physical_name for frame in db_api._intermediate_table_cache.executed_queries}
    names |= set(db_api._created_tables) | set(db_api._registered_table_names) | {records_name}
    for name in sorted(names):
        try:
            db_api.delete_table_from_database(name)
        except Exception:  # the engine's own error types belong to warehouse/
            logger.warning("could not drop Splink's working table %s", name, exc_info=True)


def _pair_schema(unit_id: pa.DataType) -> pa.Schema:
    return pa.schema([("unit_id_l", unit_id), ("unit_id_r", unit_id),
                      ("match_probability", pa.float64()), ("match_weight", pa.float64()),
                      ("rule", pa.string())])


def score_pairs(
    records: pa.Table,
    *,
    warehouse: Warehouse,
    model: dict[str, Any] | None,
    review_floor: float,
    link_type: LinkType = "link_and_dedupe",
    seed: int = 42,
    u_max_pairs: float = 5e6,
    memory_limit: str | None = None,
    touching: str | None = None,
) -> ScoredPairs:
    """Score every blocked pair on the warehouse's engine; keep unit pairs at or above ``review_floor``.

    ``model`` reuses saved parameters (and its own blocking rules); ``None`` trains afresh on
    ``records``, u from ``u_sample_pairs`` random pairs (at most ``u_max_pairs``). Pairs come back
    per unit (the best-scoring pair of their variants), ordered ``unit_id_l < unit_id_r``.
    ``memory_limit`` bounds Splink's private DuckDB.

    ``touching`` names a boolean column of ``records``: then only pairs with at least one side
    flagged are scored (an incremental run: new and changed records against all; needs
    ``model``). The condition is added to every blocking rule, so a pair is blocked exactly as in
    a full run and its score is the same; only the pairs of two unflagged records are left out.
    """
    review_floor = float(review_floor)
    if not math.isfinite(review_floor):
        raise LocalJusticeError(f"The review floor must be a probability, not {review_floor}.")
    with warehouse.splink_api(memory_limit=memory_limit) as db_api:
        dialect = db_api.sql_dialect.sql_dialect_str
        settings = (rendered_settings(link_type, dialect) if model is None
                    else splink_settings(model, dialect))
        if touching is not None:
            if model is None:
                raise LocalJusticeError("Scoring only the pairs of some records needs a model.")
            settings["blocking_rules_to_generate_predictions"] = [
                _touching_rule(rule, touching)
                for rule in settings["blocking_rules_to_generate_predictions"]
            ]
        # A name of its own: Spark's temporary views outlive one Splink API on a shared session.
        name = f"lj_linkage_records_{uuid.uuid4().hex[:12]}"
        table = db_api.register(records, table_name=name, dataset_display_name="linkage_records")
        try:
            # Splink's settings check only logs, at WARNING, which ERROR silences, and parses
            # every level's SQL to do it (0.3 s, a tenth of an incremental run): skipped. Our
            # settings are rendered from this module's comparisons (a saved model's checked).
            linker = Linker(table, settings, log_level=logging.ERROR, validate_settings=False)
            if model is None:
                train(linker, seed=seed, u_max_pairs=u_sample_pairs(records.num_rows, u_max_pairs))
                used = regularise(portable_model(linker.misc.save_model_to_json()))
                linker = Linker(table, splink_settings(used, dialect), log_level=logging.ERROR,
                                validate_settings=False)
            else:
                try:
                    used = portable_model(model)
                except ModelNotPortable:
                    used = model  # an earlier-format model, on its own engine
            predictions = linker.inference.predict(warning_mode="never")
            scored = predictions.physical_name
            by_key = {int(row["match_key"]): int(row["pairs"]) for row in _read(db_api, f"""
                SELECT CAST(match_key AS INTEGER) AS match_key, count(*) AS pairs
                FROM {scored} GROUP BY CAST(match_key AS INTEGER)""").to_pylist()}
            rules = linker._settings_obj._blocking_rules_to_generate_predictions
            blocking_counts = [(_rule_name(rule.blocking_rule_sql), by_key.get(i, 0))
                               for i, rule in enumerate(rules)]
            histogram = sorted(
                (float(row["bin_start"]), float(row["bin_end"]), int(row["pairs"]))
                for row in _read(db_api, _histogram_sql(scored, 1.0)).to_pylist())
            pairs = (_read(db_api, _unit_pairs_sql(scored, review_floor))
                     .cast(_pair_schema(records.schema.field("unit_id").type))
                     .sort_by([("unit_id_l", "ascending"), ("unit_id_r", "ascending")]))
        finally:
            _drop_working_tables(db_api, name)
    return ScoredPairs(
        pairs=pairs,
        comparisons=sum(by_key.values()),
        blocking_counts=blocking_counts,
        weight_histogram=histogram,
        model=used,
    )


def _touching_rule(rule: Any, flag: str) -> dict[str, Any]:
    """A blocking rule (Splink's dict, or its SQL alone) that also needs one side flagged."""
    as_dict = dict(rule) if isinstance(rule, dict) else {"blocking_rule": str(rule)}
    sql = str(as_dict["blocking_rule"])
    # our rules are conjunctions (named by their start in the report); others are bracketed
    sql = sql if is_equi_join(sql) else f"({sql})"
    as_dict["blocking_rule"] = f"{sql} AND (l.{flag} OR r.{flag})"
    return as_dict


def model_blocking_rules(model: dict[str, Any]) -> list[str]:
    """The SQL of a saved model's blocking rules (``l.`` and ``r.`` sides), in its order."""
    rules = model.get("blocking_rules") if is_portable(model) else model.get(
        "blocking_rules_to_generate_predictions", [])
    out: list[str] = []
    for rule in rules or []:
        if isinstance(rule, dict):
            out.append(str(rule.get("sql") or rule.get("blocking_rule")))
        else:
            out.append(str(rule))
    return out


def is_equi_join(sql: str) -> bool:
    """Whether a blocking rule is plain equalities and inequalities of left and right columns."""
    return _NEUTRAL_RULE.fullmatch(sql) is not None


def _rule_name(sql: str) -> str:
    """The readable name of a blocking rule of ours, or its SQL for a saved model's own."""
    for rule in BLOCKING_RULES:
        if sql.startswith(rule.sql):
            return rule.name
    return sql


def probability_to_weight(probability: float) -> float:
    """Match weight (log2 Bayes factor against even odds) of a match probability."""
    if probability >= 1.0:
        return math.inf
    return math.log2(probability / (1.0 - probability))
