"""The data loads page after monthly deliveries: what each batch changed, and the quarantined rows
still waiting for a correction, by partner, paginated (issue 12). Never a row's values."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from localjustice.ingest import ingest_delivery
from localjustice.warehouse import open_warehouse
from localjustice.web.services import loads as loads_service
from tests.ingest.deliveries import delivery, valid_row
from tests.web.conftest import ClientFor
from tests.web.published import write_measures

AS_OF = date(2019, 6, 30)
SECRET_SURNAME = "Quillfeatherstone"


@pytest.fixture(scope="module")
def versioned_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Month 1: 3 good custody periods and 60 bad ones (a mistyped date), a bad victim. Month 2:
    one period released, one bad period fixed, as a snapshot that withdraws X3. Then a late
    delivery extracted before month 2 (X1 kept as history only) and a file its control total
    rejects."""
    folder = tmp_path_factory.mktemp("versioned")
    bad = [valid_row("prison_custody", custody_id=f"B{i}", reception_date="2018-02-31",
                     surname=SECRET_SURNAME) for i in range(60)]
    first = delivery(folder / "2018-09", {
        "prison_custody": [valid_row("prison_custody", custody_id=f"X{i}", release_date="")
                           for i in range(1, 4)] + bad,
        "police_crimes": [valid_row("police_crimes")],
        "police_victims": [valid_row("police_victims", date_of_birth="1990-13-01")],
    })
    second = delivery(folder / "2018-10", {"prison_custody": [
        valid_row("prison_custody", custody_id="X1", release_date="2018-10-01"),
        valid_row("prison_custody", custody_id="X2", release_date=""),
        valid_row("prison_custody", custody_id="B7", reception_date="2018-02-28"),
    ]})
    (second / "manifest.toml").write_text(
        'partner = "HMPPS"\nextract_date = 2018-10-31\n'
        '[files.prison_custody]\nmode = "snapshot"\nrows = 3\n', encoding="utf-8")
    late = delivery(folder / "2018-09-late", {"prison_custody": [
        valid_row("prison_custody", custody_id="X1", release_date="2018-09-20")]})
    (late / "manifest.toml").write_text('extract_date = 2018-09-30\n', encoding="utf-8")
    short = delivery(folder / "2018-11", {"police_crimes": [valid_row("police_crimes")]})
    (short / "manifest.toml").write_text(
        'extract_date = 2018-11-30\n[files.police_crimes]\nrows = 5\n', encoding="utf-8")
    path = folder / "warehouse.duckdb"
    with open_warehouse(path) as warehouse:
        for month in (first, second, late, short):
            ingest_delivery(warehouse, month, as_of=AS_OF)
    return path


@pytest.fixture
def data_dir(tmp_path: Path, versioned_warehouse: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(versioned_warehouse, folder / "warehouse.duckdb")
    write_measures(folder / "published")
    return folder


def test_each_batch_says_what_it_changed_and_every_batch_conserves(client_for: ClientFor) -> None:
    data = client_for("data_steward").get("/api/loads").json()
    assert data["all_conserved"] is True
    second = next(b for b in data["batches"] if b["delivery"] == "2018-10")
    assert (second["mode"], second["extract_date"], second["partner"]) == \
        ("snapshot", "2018-10-31", "HMPPS")
    assert (second["rows_read"], second["rows_new"], second["rows_changed"],
            second["rows_unchanged"], second["rows_withdrawn"], second["rows_resolved"]) == \
        (3, 1, 1, 1, 1, 1)
    assert "withdrew 1 record(s)" in second["message"]
    late = next(b for b in data["batches"] if b["delivery"] == "2018-09-late")
    assert (late["rows_read"], late["rows_loaded"], late["rows_new"], late["rows_changed"],
            late["rows_older"], late["conserved"]) == (1, 1, 0, 0, 1, True)
    rejected = next(b for b in data["batches"] if b["delivery"] == "2018-11")
    assert (rejected["status"], rejected["conserved"]) == ("rejected", None)


def test_the_page_counts_history_only_versions_and_shows_a_rejected_file_as_not_loaded(
    client_for: ClientFor,
) -> None:
    page = client_for("data_steward").get("/loads").text
    assert "History only" in page
    row = page[page.index("2018-11"):]
    row = row[:row.index("</tr>")]
    assert "Not loaded" in row and "Yes" not in row and "none: the file was not loaded" in row


def test_batches_are_newest_first_narrowed_by_partner_and_paginated(
    client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loads_service, "BATCH_PAGE_SIZE", 2)
    client = client_for("data_steward")
    data = client.get("/api/loads").json()
    assert [(b["delivery"], b["source"]) for b in data["batches"]] == \
        [("2018-11", "police_crimes"), ("2018-09-late", "prison_custody")]
    assert (data["batches_total"], data["batches_page"], data["batches_pages"]) == (6, 1, 3)
    prisons = client.get("/api/loads", params={"partner": "prisons", "batches_page": 2}).json()
    assert [(b["delivery"], b["source"]) for b in prisons["batches"]] == \
        [("2018-09", "prison_custody")]
    assert (prisons["batches_total"], prisons["batches_page"], prisons["batches_pages"]) == \
        (3, 2, 2)
    # the totals stay the whole warehouse's
    assert (prisons["rows_read"], prisons["all_conserved"]) == (data["rows_read"], True)
    page = client.get("/loads", params={"partner": "prisons"}).text
    assert "Batches of prisons, newest first (3, page 1 of 2)" in page
    assert 'href="/loads?partner=prisons&amp;batches_page=2#batches"' in page
    # the open items' page is kept when paging the batches
    both = client.get("/loads", params={"partner": "prisons", "page": 2}).text
    assert 'href="/loads?page=2&amp;partner=prisons&amp;batches_page=2#batches"' in both


def test_a_partner_with_no_batches_keeps_the_page_and_says_so(client_for: ClientFor) -> None:
    client = client_for("data_steward")
    assert client.get("/api/loads", params={"partner": "Prisons"}).json()["batches_total"] == 3
    for partner, said in (("nobody", "No partner is called nobody: the partners are courts,"),
                          ("courts", "No delivery from courts has been loaded.")):
        page = client.get("/loads", params={"partner": partner}).text
        assert said in page and "Rows read" in page and "Nothing has been loaded yet" not in page
        assert "Open items by partner" in page


def test_a_partner_narrows_the_reasons_and_an_unknown_one_draws_no_empty_table(
        client_for: ClientFor) -> None:
    client = client_for("data_steward")
    every = {r["source"] for r in client.get("/api/loads").json()["reasons"]}
    assert every == {"prison_custody", "police_victims"}
    prisons = client.get("/api/loads", params={"partner": "prisons"}).json()
    assert {r["source"] for r in prisons["reasons"]} == {"prison_custody"}
    page = client.get("/loads", params={"partner": "prisons"}).text
    assert "Rows of prisons held back (quarantine) or flagged (warning), by reason" in page
    nobody = client.get("/loads", params={"partner": "nobody"}).text
    assert "Open items of nobody" not in nobody
    assert nobody.count("No partner is called nobody") == 2  # batches and open items
    courts = client.get("/loads", params={"partner": "courts"}).text
    assert "Nothing from courts is waiting for a correction." in courts
    assert "Open items of courts" not in courts


def test_the_summary_adds_up_for_a_reader(client_for: ClientFor) -> None:
    """read = loaded + unchanged + quarantined, each on the page; the waiting line counts items."""
    client = client_for("data_steward")
    data = client.get("/api/loads").json()
    assert data["rows_read"] == data["rows_loaded"] + data["rows_unchanged"] + \
        data["rows_quarantined"]
    assert data["rows_unchanged"] == sum(b["rows_unchanged"] for b in data["batches"]) > 0
    page = client.get("/loads").text
    assert "Rows unchanged (identical to the current version, not stored again)" in page
    assert "Quarantine items still waiting for a correction" in page
    assert '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Items</th>' \
        in page
    for heading in ("Batches", "Why rows were held back", "Waiting for a correction"):
        assert f">{heading}</h2>" in page


def test_open_items_are_counted_by_partner_and_paginated(client_for: ClientFor) -> None:
    client = client_for("data_steward")
    data = client.get("/api/loads").json()
    # 60 bad periods less the one fixed, and the victim with an impossible date
    assert [(p["partner"], p["rows"]) for p in data["open_by_partner"]] == \
        [("police", 1), ("prisons", 59)]
    assert data["resolved_total"] == 1
    assert (data["open_total"], data["pages"], len(data["open_items"])) == (60, 2, 50)
    prisons = client.get("/api/loads", params={"partner": "prisons", "page": 2}).json()
    assert (prisons["open_total"], prisons["page"], len(prisons["open_items"])) == (59, 2, 9)
    assert {i["file_name"] for i in prisons["open_items"]} == {"prison_custody.csv"}
    listed = {i["row_number"] for p in (1, 2) for i in client.get(
        "/api/loads", params={"partner": "prisons", "page": p}).json()["open_items"]}
    # rows 4..63 of the first file were bad; row 11 (B7) was fixed the next month
    assert listed == set(range(4, 64)) - {11}


def test_the_page_shows_the_open_items_and_never_a_value(client_for: ClientFor) -> None:
    client = client_for("analyst")
    page = client.get("/loads", params={"partner": "prisons"})
    assert page.status_code == 200
    assert "Waiting for a correction" in page.text and "Open items of prisons (59, page 1 of 2)" \
        in page.text
    assert 'href="/loads?partner=prisons&amp;page=2#open"' in page.text
    assert "Times sent" in page.text
    assert SECRET_SURNAME not in page.text and "2018-02-31" not in page.text
    assert "withdrew 1 record(s) missing from this full snapshot" in page.text


def test_roles_without_loads_access_are_refused(client_for: ClientFor) -> None:
    assert client_for("caseworker").get("/api/loads").status_code == 403
    assert client_for(None).get("/api/loads").status_code == 401
