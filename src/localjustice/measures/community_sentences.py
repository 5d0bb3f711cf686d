"""Community sentence use: the share of sentences that are community or suspended sentences, by
quarter, and the requirements those orders carry.

The MoU aims at more use of community sentences with the requirements that address offending
(London MoU, "Community sentences"; requirements commenced as in Ministry of Justice, "Offender
management statistics quarterly", probation tables). Sentences are counted one per sentencing
occasion by principal disposal (see ``sentencing``). Community sentences are community orders,
youth rehabilitation orders and referral orders; suspended sentence orders are shown beside them.
A requirement is counted once per order that has it; an order may have several, so requirement
counts do not add up to the orders.
"""

from __future__ import annotations

from typing import Any

from localjustice.measures.breakdowns import Breakdown, build_tables, grouping_sets_sql
from localjustice.measures.period import Period
from localjustice.measures.pipeline import DEFAULT_DIALECT, Pipeline, Step, sql_text
from localjustice.measures.sentencing import COMMUNITY, quarter_sql, sentence_step
from localjustice.measures.tables import CountColumn, MeasureResult, MeasureTable, RateColumn
from localjustice.warehouse import Dialect, Warehouse

NAME = "community_sentences"
TITLE = "Community sentence use"
METHODOLOGY = ("Sentences passed in the period by principal disposal; share that are community "
               "sentences or suspended sentences, by quarter; requirements on those orders "
               "(MoJ Criminal Justice Statistics; Offender management statistics).")

REQUIREMENT_LABELS = {
    "curfew_em": "Curfew with electronic monitoring", "gps_em": "GPS location monitoring",
    "aamr": "Alcohol abstinence and monitoring (AAMR)", "unpaid_work": "Unpaid work",
    "accredited_programme": "Accredited programme", "drug_rehab": "Drug rehabilitation",
    "alcohol_treatment": "Alcohol treatment", "mental_health_treatment": "Mental health treatment",
    "rehabilitation_activity": "Rehabilitation activity",
}
COUNTS = (
    CountColumn("sentences", "Sentences"),
    CountColumn("community", "Community sentences", part_of="sentences"),
    CountColumn("suspended", "Suspended sentences", part_of="sentences"),
    CountColumn("custody", "Immediate custody", part_of="sentences"),
    CountColumn("other", "Fines, discharges and other", part_of="sentences"),
)
RATES = (
    RateColumn("community_share", "Community sentences (%)", "community", "sentences"),
    RateColumn("suspended_share", "Suspended sentences (%)", "suspended", "sentences"),
)
BY_QUARTER = (Breakdown("quarter", "Quarter"),)
REQUIREMENT_COUNTS = (CountColumn("orders", "Community and suspended orders"),
                      CountColumn("with_requirement", "Orders with the requirement"))
REQUIREMENT_RATES = (RateColumn("requirement_share", "Share of orders (%)", "with_requirement",
                                "orders"),)


def pipeline(period: Period, *, borough: str | None = None,
             dialect: Dialect = DEFAULT_DIALECT) -> Pipeline:
    """The measure as named steps; ``dialect`` is taken for the common signature (this measure's
    SQL is the same on every engine)."""
    community = ", ".join(f"'{s}'" for s in COMMUNITY)
    codes = ", ".join(f"({sql_text(code)})" for code in REQUIREMENT_LABELS)
    return Pipeline.of([
        sentence_step(period, borough=borough),
        Step("classified", f"""
            SELECT {quarter_sql('sentence_date')} AS quarter, requirements,
                   CASE WHEN sentence_type IN ({community}) THEN 1 ELSE 0 END AS community,
                   CASE WHEN sentence_type = 'suspended_sentence' THEN 1 ELSE 0 END AS suspended,
                   CASE WHEN sentence_type = 'immediate_custody' THEN 1 ELSE 0 END AS custody
            FROM sentence""", materialise=True),
        Step("by_quarter", grouping_sets_sql(
            "classified", BY_QUARTER,
            "count(*) AS sentences, sum(community) AS community, sum(suspended) AS suspended, "
            "sum(custody) AS custody, sum(1 - community - suspended - custody) AS other")),
        Step("order_requirement", f"""
            -- Each community or suspended order (one per sentence) with each requirement it
            -- carries, once however often the extract lists it.
            SELECT r.requirement
            FROM classified AS o CROSS JOIN (VALUES {codes}) AS r(requirement)
            WHERE (o.community = 1 OR o.suspended = 1)
              AND array_contains(o.requirements, r.requirement)"""),
        Step("requirement_use", """
            SELECT requirement AS category, count(*) AS with_requirement,
                   (SELECT count(*) FROM classified WHERE community = 1 OR suspended = 1) AS orders
            FROM order_requirement GROUP BY requirement"""),
    ], name=NAME)


def compute(warehouse: Warehouse, period: Period, *, borough: str | None = None) -> MeasureResult:
    pipe = pipeline(period, borough=borough, dialect=warehouse.dialect)
    total, by_quarter = build_tables(
        pipe.run(warehouse, "by_quarter"), BY_QUARTER,
        name_prefix=NAME, title="Sentences by type", counts=COUNTS, rates=RATES)
    used = {r["category"]: r for r in pipe.run(warehouse, "requirement_use")}
    orders = total["community"] + total["suspended"]
    requirements = MeasureTable(
        name=f"{NAME}_requirements", title="Requirements on community and suspended orders",
        dimension="category", dimension_label="Requirement", counts=REQUIREMENT_COUNTS,
        rates=REQUIREMENT_RATES,
        rows=[{"category": label, "orders": orders,
               "with_requirement": int(used.get(code, {}).get("with_requirement") or 0)}
              for code, label in REQUIREMENT_LABELS.items()],
        total=None,
        summary="An order can carry several requirements, so the counts do not add up.")
    tables: list[MeasureTable] = [*by_quarter, requirements]
    sentences = total["sentences"]
    headline: dict[str, Any] = {
        "sentences": sentences, "community": total["community"], "suspended": total["suspended"],
        "community_share": round(100.0 * total["community"] / sentences, 1) if sentences else None,
        "suspended_share": round(100.0 * total["suspended"] / sentences, 1) if sentences else None,
    }
    return MeasureResult(NAME, TITLE, period, headline, tables, METHODOLOGY, [],
                         scope={"borough": borough})
