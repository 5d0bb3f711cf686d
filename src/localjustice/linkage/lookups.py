"""The indexes a person's journey reads by: one person's few records out of a city's millions.

A journey reads the person's source persons (``linkage.unit_person`` by ``person_id``), the
scored pairs between them (``linkage.pair`` by ``unit_id_l``), each
extract's current records of them (by ``source_person_id``) and the crimes of their victim records
(``police_crimes`` by ``crime_id``). Scanned, those are about 2.4 million rows a page at scale 1
(a year of London), 80-130 ms of CPU before the gate's open; through an index each is a point read
of a few rows, about 2 ms (``benchmarks/bench_people.py``).

``ensure_lookups`` creates them where missing: linkage calls it at the end of every run (the
unit map is rebuilt by a full run, which drops its index), and ingestion then keeps the extracts'
indexes up to date as it appends. On an engine without such indexes (Spark) it does nothing.
"""

from __future__ import annotations

from localjustice.contract import load_contract
from localjustice.linkage.store import PAIR_TABLE, UNIT_PERSON_TABLE
from localjustice.warehouse import Warehouse, identity_table


def lookups() -> list[tuple[str, str, str]]:
    """(index name, table, column) of every index the journey reads by."""
    # a pair's ends are in order (``unit_id_l < unit_id_r``), so a person's pairs all start at
    # one of the person's units
    found = [("lj_lookup_unit_person", UNIT_PERSON_TABLE, "person_id"),
             ("lj_lookup_pair", PAIR_TABLE, "unit_id_l"),
             ("lj_lookup_police_crimes", identity_table("police_crimes"), "crime_id")]
    found += [(f"lj_lookup_{f.name}", identity_table(f), "source_person_id")
              for f in load_contract().person_bearing_files]
    return found


def ensure_lookups(warehouse: Warehouse) -> int:
    """Create the missing indexes (a few seconds at scale 1, once); how many statements ran."""
    ran = 0
    for name, table, column in lookups():
        statement = warehouse.dialect.lookup_index(name, table, column)
        if statement is None or not warehouse.has_table(table):
            continue
        warehouse.execute(statement, step=f"people: index {table} by {column}")
        ran += 1
    return ran
