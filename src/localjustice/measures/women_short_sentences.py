"""Women on short custodial sentences, against men.

The MoU commits to fewer women on short custodial sentences (London MoU, "Women"; Ministry of
Justice, "Female Offender Strategy", 2018, which sets out the case against sentences of 12
months or less for women). For each sex: sentences passed in the period (one per sentencing
occasion, principal disposal: see ``sentencing``), how many were immediate custody of 12
months or less, and their share of all sentences; the same by quarter and, for women, by offence
group.
"""

from __future__ import annotations

from typing import Any

from localjustice.measures.breakdowns import Breakdown, build_tables, grouping_sets_sql
from localjustice.measures.classification import sex_sql
from localjustice.measures.period import Period
from localjustice.measures.pipeline import DEFAULT_DIALECT, Pipeline, Step
from localjustice.measures.sentencing import SHORT_CUSTODY_DAYS, quarter_sql, sentence_step
from localjustice.measures.tables import (
    CountColumn,
    HeadlineCell,
    MeasureResult,
    MeasureTable,
    RateColumn,
)
from localjustice.warehouse import Dialect, Warehouse

NAME = "women_short_sentences"
TITLE = "Short custodial sentences: women against men"
METHODOLOGY = ("Sentences passed in the period (principal disposal per sentencing occasion); "
               "short custody = immediate custody of 12 months or less (Female Offender "
               "Strategy, 2018); count and share of each sex's sentences.")

COUNTS = (
    CountColumn("sentences", "Sentences"),
    CountColumn("short_custody", "Custody of 12 months or less", part_of="sentences"),
    CountColumn("longer_custody", "Custody of more than 12 months", part_of="sentences"),
    CountColumn("non_custodial", "Other sentences", part_of="sentences"),
)
RATES = (RateColumn("short_share", "Short custody as a share of sentences (%)", "short_custody",
                    "sentences"),)
BY_SEX = (Breakdown("sex", "Sex", ("Female", "Male")),)
WOMEN = (Breakdown("quarter", "Quarter"), Breakdown("offence_group", "Offence group"))


def pipeline(period: Period, *, borough: str | None = None,
             dialect: Dialect = DEFAULT_DIALECT) -> Pipeline:
    """The measure as named steps; ``dialect`` is taken for the common signature (this measure's
    SQL is the same on every engine)."""
    aggregates = ("count(*) AS sentences, sum(short) AS short_custody, "
                  "sum(longer) AS longer_custody, sum(1 - short - longer) AS non_custodial")
    return Pipeline.of([
        sentence_step(period, borough=borough),
        Step("classified", f"""
            SELECT {sex_sql('sex')} AS sex, {quarter_sql('sentence_date')} AS quarter,
                   coalesce(offence_group, 'not known') AS offence_group,
                   CASE WHEN sentence_type = 'immediate_custody'
                        AND coalesce(custody_days, 0) <= {SHORT_CUSTODY_DAYS} THEN 1 ELSE 0 END
                       AS short,
                   CASE WHEN sentence_type = 'immediate_custody'
                        AND custody_days > {SHORT_CUSTODY_DAYS} THEN 1 ELSE 0 END AS longer
            FROM sentence"""),
        Step("by_sex", grouping_sets_sql("classified", BY_SEX, aggregates)),
        Step("women", grouping_sets_sql(
            "(SELECT * FROM classified WHERE sex = 'Female') AS f", WOMEN, aggregates)),
    ], name=NAME)


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None) -> MeasureResult:
    pipe = pipeline(period, borough=borough, dialect=warehouse.dialect)
    _, by_sex = build_tables(pipe.run(warehouse, "by_sex"), BY_SEX, name_prefix=NAME,
                             title="Sentences and short custody", counts=COUNTS, rates=RATES)
    _, women = build_tables(pipe.run(warehouse, "women"), WOMEN,
                            name_prefix=f"{NAME}_women", title="Women's sentences and short custody",
                            counts=COUNTS, rates=RATES)
    for row in women[1].rows:
        row["category"] = str(row["category"]).replace("_", " ").capitalize()
    tables: list[MeasureTable] = [*by_sex, *women]
    rows = {r["category"]: r for r in by_sex[0].rows}
    headline: dict[str, Any] = {}
    # Each sex's figures are its by-sex row: published as that row is (``disclosure``, rule 5).
    cells: dict[str, HeadlineCell] = {}
    for sex, key in (("Female", "women"), ("Male", "men")):
        cells |= {f"{key}_{column}": HeadlineCell(by_sex[0].name, sex, column)
                  for column in ("sentences", "short_custody", "short_share")}
        row = rows.get(sex, {"sentences": 0, "short_custody": 0})
        headline[f"{key}_sentences"] = row["sentences"]
        headline[f"{key}_short_custody"] = row["short_custody"]
        headline[f"{key}_short_share"] = (round(100.0 * row["short_custody"] / row["sentences"], 1)
                                          if row["sentences"] else None)
    return MeasureResult(NAME, TITLE, period, headline, tables, METHODOLOGY, [],
                         scope={"borough": borough}, headline_cells=cells)
