"""Linkage: one person across agencies, with measured quality.

Splink deduplicates and links every person-bearing extract of the identity zone, on the
warehouse's engine (DuckDB or Spark), through the ``Warehouse`` interface only; clusters become
pseudonymous persons (keyed HMAC ``person_id``) in the analysis zone, which holds
no names, full dates of birth, postcodes or source ids. Uncertain pairs go to a clerical review
queue whose decisions override the model on every later run.
"""

from localjustice.linkage.analysis_zone import MappedZone, build_analysis_zone_from_person_map
from localjustice.linkage.clusters import PERSON_PREFIX, ClusterSummary
from localjustice.linkage.deterministic import MIN_RECORDS_TO_TRAIN
from localjustice.linkage.model import BLOCKING_RULES, linkage_settings, score_pairs
from localjustice.linkage.pipeline import (
    LinkageOptions,
    LinkageResult,
    TableLinkage,
    link_persons,
    link_table,
)
from localjustice.linkage.pseudonym import (
    KEY_ENV,
    install_pseudonym,
    load_pseudonym_key,
)
from localjustice.linkage.quality import (
    LinkageReport,
    cluster_metrics,
    linkage_report,
)
from localjustice.linkage.review import (
    ManualLink,
    ManualLinkRefused,
    PairNotQueued,
    ReviewPair,
    decision_count,
    flag_pair,
    manual_links,
    record_decision,
    record_manual_link,
    review_queue,
    review_queue_size,
)

__all__ = [
    "BLOCKING_RULES",
    "KEY_ENV",
    "MIN_RECORDS_TO_TRAIN",
    "PERSON_PREFIX",
    "ClusterSummary",
    "LinkageOptions",
    "LinkageReport",
    "LinkageResult",
    "ManualLink",
    "ManualLinkRefused",
    "MappedZone",
    "PairNotQueued",
    "ReviewPair",
    "TableLinkage",
    "build_analysis_zone_from_person_map",
    "cluster_metrics",
    "decision_count",
    "flag_pair",
    "install_pseudonym",
    "link_persons",
    "link_table",
    "linkage_report",
    "linkage_settings",
    "load_pseudonym_key",
    "manual_links",
    "record_decision",
    "record_manual_link",
    "review_queue",
    "review_queue_size",
    "score_pairs",
]
