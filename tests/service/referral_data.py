"""Small synthetic victim referrals ending near an injected 'today', made set-wise in the warehouse.

Each day from ``weeks`` before ``today`` up to the day before it brings ``per_day`` referrals, the
people spread over ``boroughs`` in turn; every referral is a different person and crime. Names are
made up ('Test' + a number), dates of birth spread over the years.
"""

from __future__ import annotations

from datetime import date, timedelta

from localjustice.warehouse import Warehouse


def load_referrals(warehouse: Warehouse, today: date, *, weeks: int, per_day: int,
                   boroughs: list[str]) -> int:
    """Insert the referrals; their number."""
    first = today - timedelta(weeks=weeks)
    days = (today - first).days
    warehouse.connection.execute(
        """INSERT INTO identity.victim_referrals (batch_id, source_row, source_person_id, forename, surname,
               date_of_birth, borough_code, referral_id, crime_id, referral_date, referrer, role, needs,
               service, pnc_id_valid)
           SELECT 'b1', i, 'V' || i, 'Test' || i, 'Person' || (i % 97),
                  DATE '1960-01-01' + CAST(i * 37 % 15000 AS INTEGER),
                  list_extract($boroughs, CAST(i % len($boroughs) + 1 AS INTEGER)),
                  'R' || i, 'C' || i, CAST($first AS DATE) + CAST(i // $per_day AS INTEGER), 'police',
                  CASE WHEN i % 5 = 0 THEN 'witness' ELSE 'victim' END, ['emotional'], 'general_support',
                  false
           FROM range($n) t(i)""",
        {"boroughs": boroughs, "first": first, "per_day": per_day, "n": days * per_day})
    return days * per_day
