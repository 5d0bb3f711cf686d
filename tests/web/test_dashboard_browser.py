"""The board's dashboard in headless Chromium over three years of synthetic London, published as
the demo publishes it: the headline panel, a trend with final and provisional periods, the tile
map and its table, a chart's CSV download checked against the published figures, and axe on the
dashboard and a methodology page (issue 13 part 3)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from localjustice.area import load_area
from localjustice.web import WebSettings, create_app
from tests.web.conftest import SECRET, add_users
from tests.web.test_browser import Watched, _free_port, browser, wait_for_charts  # noqa: F401

pytestmark = pytest.mark.slow
LONDON = "E12000007"


@pytest.fixture
def years_dir(tmp_path: Path, published_years: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(published_years, folder)
    return folder


@pytest.fixture
def years_server(years_dir: Path, password_hash: str) -> Iterator[str]:
    from localjustice.appdb import upgrade

    url = f"sqlite:///{years_dir / 'app.db'}"
    upgrade(url)
    app = create_app(WebSettings(data_dir=years_dir, database_url=url, secret_key=SECRET,
                                 login_attempts=10_000), extensions=[])
    add_users(app, password_hash)
    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_config=None, access_log=False)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    instance.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def _published(years_dir: Path) -> dict[str, object]:
    return dict(json.loads((years_dir / "published" / "measures.json").read_text("utf-8")))


def test_the_board_reads_the_headlines_then_a_trend_with_provisional_periods_labelled(
        years_server: str, years_dir: Path, browser: object) -> None:  # noqa: F811
    published = _published(years_dir)
    w = Watched(browser, years_server)
    page = w.page
    w.sign_in("board")
    page.goto("/dashboard")
    wait_for_charts(page)
    assert page.locator(".lj-chart[data-rendered='failed']").count() == 0

    headlines = page.locator("table.lj-headlines tbody tr")
    assert headlines.count() == len(published["headlines"])  # type: ignore[arg-type]
    first = page.locator("table.lj-headlines tr[data-measure='proven_reoffending'][data-cohort='all']")
    assert "Proven reoffending, all ages" in first.inner_text()
    # better or worse in words, and the MoU's baseline with its source linked
    verdict = first.locator(".lj-verdict").inner_text()
    assert verdict in ("Better", "Worse", "No clear change", "Withheld: too few people for a reliable figure")
    assert "24.0%" in first.inner_text()
    assert first.get_by_role("link", name="source").get_attribute("href").startswith("https://hansard")
    youth = page.locator("table.lj-headlines tr[data-cohort='juvenile']").inner_text()
    assert "England and Wales youth reoffending" in youth and "42.6%" in youth

    reoffending = next(m for m in published["measures"]  # type: ignore[attr-defined]
                       if m["id"] == "proven_reoffending")
    london = sorted((o for o in reoffending["observations"]
                     if o["borough"] == LONDON and o["cohort"] == "all"), key=lambda o: o["period"])
    trend = page.locator("#measure-proven_reoffending table[data-table='trend'] tbody tr")
    assert trend.count() == len(london)
    statuses = [trend.nth(i).locator("td").first.inner_text() for i in range(trend.count())]
    assert statuses.count("Provisional") == len(reoffending["provisional"]) >= 1
    assert "Final" in statuses and statuses.index("Provisional") > statuses.index("Final")
    shown = next(o for o in london
                 if o["value"] is not None and o["period"] not in reoffending["provisional"])
    row = page.locator("#measure-proven_reoffending table[data-table='trend'] tbody tr",
                       has=page.locator(f"th:text-is('{shown['period']}')"))
    assert f"{shown['value']:.1f}%" in row.inner_text()
    assert f"{shown['low']:.1f}% to {shown['high']:.1f}%" in row.inner_text()  # its 95% interval
    assert f"{shown['denominator']:,}" in row.inner_text()  # the base beside the rate
    # the chart draws the provisional periods labelled as such, not by colour alone
    spec = page.evaluate("""async () => {
        const url = document.querySelector("#measure-proven_reoffending .lj-chart[data-chart='trend']")
          .getAttribute('data-spec-url')
        return (await fetch(url, {headers: {Accept: 'application/json'}})).json() }""")
    periods = [v["period"] for v in spec["layer"][2]["data"]["values"]]
    assert any(p.endswith("(provisional)") for p in periods)
    assert spec["layer"][1]["encoding"]["strokeDash"]["field"] == "segment"
    assert w.axe() == []
    assert w.errors == [], w.errors


def test_the_tile_map_draws_a_square_per_borough_and_its_table_lists_them(
        years_server: str, browser: object) -> None:  # noqa: F811
    w = Watched(browser, years_server)
    page = w.page
    w.sign_in("analyst")
    page.goto("/dashboard")
    wait_for_charts(page)
    section = page.locator("#measure-repeat_victimisation")
    tiles = section.locator(".lj-chart[data-chart='tiles']")
    assert tiles.get_attribute("data-rendered") == "true"
    assert tiles.locator("canvas").count() == 1
    section.get_by_text("Table of the tile map").click()
    table = section.locator("table[data-table='tiles']")
    assert table.is_visible()
    names = table.locator("tbody th").all_inner_texts()
    assert len(names) >= 30 and names == sorted(names)
    assert "Cmd (column 4, row 3)" in table.inner_text()  # Camden's square
    # the chart's text alternative names what the squares show
    described_by = tiles.get_attribute("aria-labelledby")
    assert "tile map" in page.locator(f"#{described_by}").inner_text().lower()
    assert w.axe() == []
    assert w.errors == [], w.errors


def test_a_charts_csv_download_holds_the_published_figures_with_withheld_cells_marked(
        years_server: str, years_dir: Path, browser: object) -> None:  # noqa: F811
    published = _published(years_dir)
    w = Watched(browser, years_server)
    page = w.page
    w.sign_in("board")
    page.goto("/dashboard")
    link = page.locator("#measure-repeat_victimisation a.lj-download").nth(1)  # the ranked boroughs
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "repeat_victimisation-comparison.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8"))))
    measure = next(m for m in published["measures"]  # type: ignore[attr-defined]
                   if m["id"] == "repeat_victimisation")
    period = rows[0]["Period"]
    assert period not in measure["provisional"]  # the default period is the latest final one
    finals = sorted({o["period"] for o in measure["observations"]} - set(measure["provisional"]))
    assert period == finals[-1]
    names = {la.name: la.code for la in load_area().local_authorities}
    expected = {o["borough"]: o for o in measure["observations"]
                if o["period"] == period and o["borough"] != LONDON and o["cohort"] == "all"}
    assert {names[r["Area"]] for r in rows} == set(expected)
    for r in rows:
        o = expected[names[r["Area"]]]
        if o["suppressed"]:
            assert r["Rate (%)"] == r["Count"] == (o["marker"] or "[c]")  # never a leaked count
        else:
            assert (float(r["Rate (%)"]), int(r["Count"]), int(r["Base"])) == (
                o["value"], o["numerator"], o["denominator"])
            assert (float(r["95% CI lower"]), float(r["95% CI upper"])) == (o["low"], o["high"])
    with page.expect_download() as whole:
        page.get_by_role("link", name="Download the whole publication").click()
    assert whole.value.suggested_filename == "local-justice-outcomes.xlsx"
    assert Path(whole.value.path()).read_bytes()[:2] == b"PK"
    assert w.errors == [], w.errors


def test_a_methodology_page_reads_as_a_document_with_its_sources_linked(
        years_server: str, browser: object) -> None:  # noqa: F811
    w = Watched(browser, years_server)
    page = w.page
    w.sign_in("board")
    page.goto("/dashboard/proven_reoffending/methodology")
    assert page.inner_text("h1") == "Proven reoffending"
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:2] == ["Contents", "What is counted"] and "Sources" in headings
    assert "How uncertain the figures are" in headings
    source = page.get_by_role("link", name="Ministry of Justice, Proven reoffending statistics")
    assert source.get_attribute("href") == "https://www.gov.uk/government/collections/proven-reoffending-statistics"
    assert w.axe() == []
    assert w.errors == [], w.errors
