"""Shape the simulated events into the contract's extract files, one table per source.

Rows are the events whose contract event date falls in the delivery window; the extract is taken
at the end of the window, so anything ending later (a release, an order's end) is still open and
left empty. Every value is text as it will be written: ISO dates, codes from the contract's code
lists, ``;``-joined lists, empty for missing. Each table keeps a ``true_person`` column (for the
truth files only; the writer drops it) until it is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.area import Area
from localjustice.contract import load_contract
from localjustice.synth.calendar import TimeFrame, iso
from localjustice.synth.identity import PersonStrings, person_strings, source_identities
from localjustice.synth.names import courts
from localjustice.synth.offending import (
    KIND_SENTENCED,
    ROUTE_CAUTION,
    ROUTE_COURT,
    ROUTE_INFORMAL,
    JusticeHistory,
)
from localjustice.synth.parameters import Parameters
from localjustice.synth.population import People
from localjustice.synth.supervision import Supervision
from localjustice.synth.victimisation import Victimisation

TRUE_PERSON = "true_person"
#: Sources whose own person number is a column of the extract: it is their person id.
PERSON_NUMBER_COLUMNS = {"prison_custody": "prison_number", "probation_supervision": "crn"}


@dataclass(frozen=True)
class Events:
    """Everything simulated, ready to be cut into extracts."""

    history: JusticeHistory
    custody: pd.DataFrame
    supervision: Supervision
    victimisation: Victimisation
    requirement_mask: NDArray[np.int64]
    #: Programme participants (``synth.programmes``): person, programme, start, end, completed.
    participants: pd.DataFrame


def _ids(prefix: str, n: int, width: int = 9) -> NDArray[np.str_]:
    return np.strings.add(prefix, np.strings.zfill(np.arange(1, n + 1).astype(str), width))


def _open_date(days: NDArray[np.int64], frame: TimeFrame) -> NDArray[np.str_]:
    """ISO date, or empty when the date is after the extract was taken."""
    return np.where(days < frame.window_end, iso(np.minimum(days, frame.window_end)), "")


def _joined_codes(mask: NDArray[np.int64], codes: tuple[str, ...]) -> NDArray[np.str_]:
    joined = np.full(len(mask), "", dtype="U1")
    for bit, code in enumerate(codes):
        joined = np.where((mask >> bit) & 1 == 1, np.strings.add(joined, ";" + code), joined)
    return np.strings.lstrip(joined.astype(str), ";")


class DeliveryBuilder:
    """Builds each extract table; identities come from one shared set of person strings."""

    def __init__(
        self,
        events: Events,
        people: People,
        area: Area,
        params: Parameters,
        frame: TimeFrame,
        rng: np.random.Generator,
    ) -> None:
        self.events = events
        self.people = people
        self.area = area
        self.params = params
        self.frame = frame
        self.rng = rng
        self.codes = load_contract().code_lists
        self.boroughs = np.array([la.code for la in area.local_authorities])
        crimes = events.victimisation.crimes
        emitted = frame.in_window(crimes["committed_day"].to_numpy()) & (
            crimes["recorded_day"].to_numpy() < frame.window_end
        )
        self.crimes = crimes[emitted].reset_index(drop=True)
        self.crime_ids = pd.Series(_ids("CR", len(self.crimes), 10), index=self.crimes["crime"].to_numpy())
        self.crime_of_offence = pd.Series(
            self.crimes["crime"].to_numpy(), index=self.crimes["offence"].to_numpy()
        )
        self.crime_of_offence = self.crime_of_offence[self.crime_of_offence.index >= 0]
        self.strings: PersonStrings | None = None

    def prepare_people(self, persons: NDArray[np.int64]) -> None:
        """Make addresses and PNC ids once for everyone who appears in any extract."""
        cases = self.events.history.cases
        # A PNC record is created at the first charge or caution, so its year is that year.
        first = cases[cases["route"] != ROUTE_INFORMAL].groupby("person")["charge_day"].min()
        unique = np.unique(persons)
        first_day = np.asarray(pd.Series(unique).map(first).fillna(-1), dtype=np.int64)
        self.strings = person_strings(unique, first_day, self.people, self.area, self.rng)

    def _identity(self, source: str, person: NDArray[np.int64], day: NDArray[np.int64]) -> pd.DataFrame:
        assert self.strings is not None, "prepare_people must run first"
        return source_identities(
            source, person, day, self.people, self.strings, self.area, self.params, self.rng
        )

    def _crime_id(self, crime: NDArray[np.int64]) -> NDArray[np.str_]:
        return pd.Series(crime).map(self.crime_ids).fillna("").to_numpy().astype(str)

    def _crime_of_offences(self, offence: NDArray[np.int64]) -> NDArray[np.str_]:
        crime = np.asarray(pd.Series(offence).map(self.crime_of_offence).fillna(-1), dtype=np.int64)
        return self._crime_id(crime)

    # The person and event day of each source's rows, so identities can be made in one pass.
    def rows(self) -> dict[str, pd.DataFrame]:
        frame = self.frame
        history = self.events.history
        offences = pd.concat(
            [history.offences, self.events.supervision.breach_offences.assign(offence=-1)], ignore_index=True
        )
        cases = pd.concat([history.cases, self.events.supervision.breach_cases], ignore_index=True)
        decided = offences.merge(cases, on=["case", "person"])
        decided = decided[frame.in_window(decided["decision_day"].to_numpy())]
        victims = self.events.victimisation.victims
        victims = victims[victims["crime"].isin(self.crimes["crime"])]
        custody = self.events.custody
        orders = self.events.supervision.orders
        monitoring = self.events.supervision.monitoring
        referrals = self.events.victimisation.referrals
        participants = self.events.participants
        return {
            "police_victims": victims.assign(day=victims["committed_day"]),
            "police_disposals": decided[decided["route"] == ROUTE_CAUTION].assign(
                day=lambda d: d["decision_day"]
            ),
            "court_outcomes": decided[decided["route"] == ROUTE_COURT].assign(
                day=lambda d: d["decision_day"]
            ),
            "prison_custody": custody[frame.in_window(custody["start"].to_numpy())].assign(
                day=lambda d: d["start"]
            ),
            "probation_supervision": orders[frame.in_window(orders["start"].to_numpy())].assign(
                day=lambda d: d["start"]
            ),
            "electronic_monitoring": monitoring[frame.in_window(monitoring["start"].to_numpy())].assign(
                day=lambda d: d["start"]
            ),
            "victim_referrals": referrals[frame.in_window(referrals["referral_day"].to_numpy())].assign(
                day=lambda d: d["referral_day"]
            ),
            "programme_participants": participants[
                frame.in_window(participants["start"].to_numpy())
            ].assign(day=lambda d: d["start"]),
        }

    def police_crimes(self) -> pd.DataFrame:
        c = self.crimes
        return pd.DataFrame(
            {
                "crime_id": self.crime_ids.to_numpy(),
                "offence_group": np.array(self.codes["offence_group"])[c["group"].to_numpy()],
                "committed_date": iso(c["committed_day"].to_numpy()),
                "recorded_date": iso(c["recorded_day"].to_numpy()),
                "borough_code": self.boroughs[c["borough"].to_numpy()],
            }
        )

    def person_table(self, source: str, rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.sort_values(["day", "person"], kind="stable").reset_index(drop=True)
        identity = self._identity(source, rows["person"].to_numpy(), rows["day"].to_numpy())
        own = getattr(self, f"_{source}")(rows)
        table = pd.concat([identity, own], axis=1)
        if source in PERSON_NUMBER_COLUMNS:
            table[PERSON_NUMBER_COLUMNS[source]] = table["source_person_id"]
        columns = list(load_contract().file(source).column_names)
        shaped: pd.DataFrame = table[[*columns, TRUE_PERSON]]
        return shaped

    def _police_victims(self, rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "crime_id": self._crime_id(rows["crime"].to_numpy()),
                "enhanced_rights": rows["enhanced_rights"].to_numpy(),
                "contact_preference": rows["contact_preference"].to_numpy(),
            }
        )

    def _police_disposals(self, rows: pd.DataFrame) -> pd.DataFrame:
        youth = rows["youth"].to_numpy()
        conditional = self.rng.random(len(rows)) < np.where(youth, 0.4, 0.3)
        kind = np.where(
            youth,
            np.where(conditional, "youth_conditional_caution", "youth_caution"),
            np.where(conditional, "adult_conditional_caution", "adult_simple_caution"),
        )
        return pd.DataFrame(
            {
                "disposal_id": _ids("DS", len(rows)),
                "crime_id": self._crime_of_offences(rows["offence"].to_numpy()),
                "offence_group": np.array(self.codes["offence_group"])[rows["group"].to_numpy()],
                "offence_date": iso(rows["offence_day"].to_numpy()),
                "disposal_date": iso(rows["decision_day"].to_numpy()),
                "disposal_type": kind,
            }
        )

    def _court_outcomes(self, rows: pd.DataFrame) -> pd.DataFrame:
        all_courts = courts()
        crown_codes = np.array([c.code for c in all_courts if c.crown])
        mags_codes = np.array([c.code for c in all_courts if not c.crown])
        case = rows["case"].to_numpy()
        court = np.where(
            rows["crown"].to_numpy(), crown_codes[case % len(crown_codes)], mags_codes[case % len(mags_codes)]
        )
        sentence = rows["sentence"].to_numpy()
        days = rows["custody_days"].to_numpy()
        mask = pd.Series(case).map(
            pd.Series(self.events.requirement_mask, index=self.events.history.cases["case"].to_numpy())
        )
        mask_values = np.asarray(mask.fillna(0), dtype=np.int64)
        _, case_number = np.unique(case, return_inverse=True)
        return pd.DataFrame(
            {
                "outcome_id": _ids("CO", len(rows)),
                "case_id": np.strings.add("CS", np.strings.zfill((case_number + 1).astype(str), 9)),
                "offence_group": np.array(self.codes["offence_group"])[rows["group"].to_numpy()],
                "offence_date": iso(rows["offence_day"].to_numpy()),
                "outcome_date": iso(rows["decision_day"].to_numpy()),
                "court_code": court,
                "outcome": np.array(self.codes["court_outcome"])[rows["outcome"].to_numpy()],
                "sentence_type": np.where(
                    sentence >= 0, np.array(self.codes["sentence_type"])[np.maximum(sentence, 0)], ""
                ),
                "custody_days": np.where(days > 0, days.astype(str), ""),
                "requirements": _joined_codes(mask_values, self.codes["requirements"]),
            }
        )

    def _prison_custody(self, rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "custody_id": _ids("CU", len(rows)),
                "establishment_code": rows["establishment"].to_numpy(),
                "reception_date": iso(rows["start"].to_numpy()),
                "release_date": _open_date(rows["end"].to_numpy(), self.frame),
                "custody_type": np.where(rows["kind"].to_numpy() == KIND_SENTENCED, "sentenced", "remand"),
                "youth_estate": rows["youth_estate"].to_numpy(),
            }
        )

    def _probation_supervision(self, rows: pd.DataFrame) -> pd.DataFrame:
        end = rows["end"].to_numpy()
        open_order = end >= self.frame.window_end
        return pd.DataFrame(
            {
                "supervision_id": _ids("SU", len(rows)),
                "order_type": rows["order_type"].to_numpy(),
                "start_date": iso(rows["start"].to_numpy()),
                "end_date": _open_date(end, self.frame),
                "provider": rows["provider"].to_numpy(),
                "termination": np.where(open_order, "", rows["termination"].to_numpy()),
            }
        )

    def _electronic_monitoring(self, rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "order_id": _ids("EO", len(rows)),
                "monitoring_type": rows["monitoring_type"].to_numpy(),
                "start_date": iso(rows["start"].to_numpy()),
                "end_date": _open_date(rows["end"].to_numpy(), self.frame),
                "violations": rows["violations"].to_numpy().astype(str),
                "source_order": rows["source_order"].to_numpy(),
            }
        )

    def _victim_referrals(self, rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "referral_id": _ids("RF", len(rows)),
                "crime_id": self._crime_id(rows["crime"].to_numpy()),
                "referral_date": iso(rows["referral_day"].to_numpy()),
                "referrer": rows["referrer"].to_numpy(),
                "role": rows["role"].to_numpy(),
                "needs": rows["needs"].to_numpy(),
                "service": rows["service"].to_numpy(),
            }
        )

    def _programme_participants(self, rows: pd.DataFrame) -> pd.DataFrame:
        ended = rows["end"].to_numpy() < self.frame.window_end
        return pd.DataFrame(
            {
                "participation_id": _ids("PA", len(rows)),
                "programme_code": rows["programme"].to_numpy(),
                "start_date": iso(rows["start"].to_numpy()),
                "end_date": _open_date(rows["end"].to_numpy(), self.frame),
                "completed": np.where(ended, rows["completed"].to_numpy(), ""),
            }
        )


def build_delivery(
    events: Events, people: People, area: Area, params: Parameters, frame: TimeFrame, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """All extract tables, keyed by source name, in the contract's order."""
    builder = DeliveryBuilder(events, people, area, params, frame, rng)
    rows = builder.rows()
    builder.prepare_people(np.concatenate([r["person"].to_numpy() for r in rows.values()]))
    tables: dict[str, pd.DataFrame] = {}
    for source in load_contract().files:
        if source == "police_crimes":
            tables[source] = builder.police_crimes()
        else:
            tables[source] = builder.person_table(source, rows[source])
    return tables
