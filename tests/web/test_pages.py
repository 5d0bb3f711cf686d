"""Each page renders for a role that may see it, and its JSON twin carries the same data."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI

from localjustice.audit import seal_pending
from localjustice.web.dashboard import DashboardSource
from localjustice.web.routes import dashboard as dashboard_routes
from localjustice.web.services.dashboard import DashboardView, Filters
from tests.audit.tamper import rewrite_and_recompute
from tests.publish.vega import assert_each_figure_drawn_alone
from tests.web.conftest import ClientFor, csrf_of

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"", re.I)
ON_HANDLER = re.compile(r"\son[a-z]+=\"", re.I)


def assert_no_inline_code(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), "inline <script>"
    assert not INLINE_STYLE.search(html), "inline style"
    assert not ON_HANDLER.search(html), "inline event handler"


def test_home_invites_sign_in_and_then_lists_what_the_role_can_open(client_for: ClientFor) -> None:
    anonymous = client_for(None).get("/")
    assert anonymous.status_code == 200 and 'href="/sign-in"' in anonymous.text
    analyst = client_for("analyst")
    links = {link["href"] for link in analyst.get("/api/").json()["links"]}
    assert links == {"/dashboard", "/evaluations", "/finance", "/loads", "/cases/compliance", "/commitments",
                     "/board", "/sharing/agreements", "/sharing/requests"}
    assert "Linkage review" not in analyst.get("/").text


def test_dashboard_shows_each_measure_as_a_trend_a_ranked_comparison_and_a_tile_map(
        client_for: ClientFor) -> None:
    client = client_for("board")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert_no_inline_code(page.text)
    assert "[c] suppressed" in page.text and "Proven reoffending" in page.text
    view = client.get("/api/dashboard").json()
    reoffending = view["measures"][0]
    assert reoffending["series_label"] == "London, All ages"
    assert [r["period"] for r in reoffending["trend"]["rows"]] == ["2018 Q1", "2018 Q2"]
    assert [r["status"] for r in reoffending["trend"]["rows"]] == ["Final", "Provisional"]
    # the comparison: the latest *final* period by default, boroughs ranked highest first
    assert reoffending["comparison_period"] == "2018 Q1"
    ranked = [r for r in reoffending["comparison"]["rows"] if r["value"] is not None]
    assert [r["value"] for r in ranked] == sorted((r["value"] for r in ranked), reverse=True)
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    assert {r["place"] for r in reoffending["tiles"]["rows"]} == {"Hackney", "Tower Hamlets",
                                                                  "Richmond upon Thames"}
    assert all(r["column"] and r["grid_row"] for r in reoffending["tiles"]["rows"])
    assert page.text.count('data-chart="') == sum(
        1 for m in view["measures"] for c in ("trend", "comparison", "tiles")
        if m[c] and any(r["value"] is not None for r in m[c]["rows"]))
    asked = client.get("/api/dashboard", params={"period": "2018 Q2", "borough": "E09000030",
                                                 "cohort": "juvenile"}).json()["measures"][0]
    assert asked["series_label"] == "Tower Hamlets, All ages"  # boroughs are for all ages only
    assert "not published by borough and cohort together" in asked["notes"][0]
    assert asked["comparison_period"] == "2018 Q2"
    assert asked["trend"]["chart_url"].endswith(
        "?period=2018+Q2&borough=E09000030&cohort=juvenile&chart=trend")


def test_provisional_figures_say_so_beside_the_measure_for_the_periods_shown(client_for: ClientFor) -> None:
    client = client_for("board")
    latest = client.get("/dashboard").text  # the trend runs to 2018 Q2, provisional in the file
    assert "<li>2018 Q2: the follow-up runs past the data.</li>" in latest
    assert "Provisional</strong>" not in client.get("/dashboard", params={"period": "2018 Q1"}).text
    assert client.get("/api/dashboard").json()["measures"][0]["provisional"] == [
        "2018 Q2: the follow-up runs past the data."]


def test_a_chart_spec_is_vega_lite_over_time_for_one_borough_and_leaves_suppressed_cells_out(
        client_for: ClientFor) -> None:
    client = client_for("analyst")
    one = client.get("/api/dashboard/proven_reoffending/chart",
                     params={"borough": "E09000027"}).json()
    assert one["$schema"].endswith("vega-lite/v6.json")
    points = one["layer"][2]
    assert points["encoding"]["x"]["field"] == "period"
    assert [v["period"] for v in points["data"]["values"]] == ["2018 Q1"]  # 2018 Q2 is suppressed
    across = client.get("/api/dashboard/proven_reoffending/chart",
                        params={"period": "2018 Q1", "chart": "comparison"}).json()
    assert across["layer"][1]["encoding"]["y"]["field"] == "place"
    assert client.get("/api/dashboard/nope/chart").status_code == 404
    assert client.get("/api/dashboard/proven_reoffending/chart", params={"chart": "pie"}).status_code == 422


@pytest.mark.parametrize("params", [
    {},
    {"cohort": "juvenile"},
    {"borough": "E09000027"},
    {"period": "2018 Q2"},
])
def test_no_chart_adds_rates_across_periods_or_groups(client_for: ClientFor, params: dict[str, str]) -> None:
    """Issue 10 finding 11: with period=all the bars stacked the quarters (a borough's juvenile
    rate showed as the sum of its quarterly rates); each figure is now its own mark, per period
    and place, nothing is stacked or aggregated, and a chart draws exactly its table's figures."""
    client = client_for("analyst")
    for measure in ("proven_reoffending", "women_short_sentences"):
        panels = client.get("/api/dashboard", params=params).json()["measures"]
        panel = next(m for m in panels if m["id"] == measure)
        for chart in ("trend", "comparison", "tiles"):
            spec = client.get(f"/api/dashboard/{measure}/chart", params={**params, "chart": chart}).json()
            assert_each_figure_drawn_alone(spec)
            rows = [r for r in panel[chart]["rows"] if r["value"] is not None]
            drawn = [v for layer in spec["layer"] if layer.get("mark", {}).get("type") in ("point", "rect")
                     for v in layer["data"]["values"] if v.get("value") is not None]
            assert sorted(v["value"] for v in drawn) == sorted(r["value"] for r in rows), chart


def test_a_charts_csv_holds_its_tables_figures_and_withheld_cells_as_markers(client_for: ClientFor) -> None:
    client = client_for("board")
    view = client.get("/api/dashboard", params={"period": "2018 Q2"}).json()["measures"][0]
    response = client.get("/dashboard/proven_reoffending/comparison.csv", params={"period": "2018 Q2"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = [line.split(",") for line in response.text.strip().splitlines()]
    assert lines[0] == ["Period", "Final or provisional", "Area", "Cohort", "Rate (%)", "95% CI lower",
                        "95% CI upper", "Count", "Base"]
    body = {(r[2], r[4], r[7]) for r in lines[1:]}
    expected = {(r["place"], str(r["value"]) if r["value"] is not None else "[c]",
                 r["count"] if r["value"] is not None else "[c]") for r in view["comparison"]["rows"]}
    assert body == expected
    assert ("Richmond upon Thames", "[c]", "[c]") in body  # the suppressed cell stays suppressed
    assert all(r[1] == "Provisional" for r in lines[1:])
    assert client.get("/dashboard/proven_reoffending/pie.csv").status_code == 400  # a page's bad input


def test_the_whole_publication_downloads_as_a_spreadsheet_once_published(
        app: FastAPI, client_for: ClientFor) -> None:
    client = client_for("board")
    assert client.get("/dashboard/publication.xlsx").status_code == 404
    assert "Download the whole publication" not in client.get("/dashboard?cohort=adult").text
    (app.state.settings.published_dir / "measures.xlsx").write_bytes(b"PK\x03\x04 a workbook")
    response = client.get("/dashboard/publication.xlsx")
    assert response.status_code == 200 and response.content.startswith(b"PK")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_a_dashboard_page_already_built_is_served_again_without_running_the_view(
        client_for: ClientFor, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Filters] = []
    build = dashboard_routes.dashboard_view

    def counted(source: DashboardSource, filters: Filters) -> DashboardView:
        calls.append(filters)
        return build(source, filters)

    monkeypatch.setattr(dashboard_routes, "dashboard_view", counted)
    client = client_for("analyst")
    first, second = client.get("/dashboard?cohort=adult"), client.get("/dashboard?cohort=adult")
    assert len(calls) == 1 and first.text.count('data-chart="') >= 2
    assert csrf_of(first.text) == csrf_of(second.text) and 'id="measure-proven_reoffending"' in second.text
    client.get("/dashboard?cohort=juvenile")
    assert len(calls) == 2  # another filter set is another page


def test_the_dashboard_shows_measures_published_again_once_it_looks_for_a_change(
        app: FastAPI, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for("analyst")
    assert "Proven reoffending" in client.get("/dashboard").text
    assert "Proven reoffending" in client.get("/dashboard").text
    path = app.state.settings.published_dir / "measures.json"
    payload = json.loads(path.read_text())
    payload["measures"][0]["title"] = "Proven reoffending, republished"
    path.write_text(json.dumps(payload))
    monkeypatch.setattr(app.state.dashboard, "CHECK_SECONDS", 0.0)
    assert "Proven reoffending, republished" in client.get("/dashboard").text


def test_each_session_gets_its_own_name_and_csrf_token_in_a_cached_layout(client_for: ClientFor) -> None:
    one, other, board = client_for("analyst"), client_for("analyst"), client_for("board")
    pages = [client.get("/dashboard").text for client in (one, other, board)]
    assert len({csrf_of(page) for page in pages}) == 3
    assert "Test analyst (analyst)" in pages[0] and "Test board (board)" in pages[2]
    assert all(part in pages[2] for part in ('href="#main-content"', 'class="lj-org-header"',
                                              "govuk-phase-banner", "govuk-footer"))


def test_a_dashboard_page_is_all_ascii_so_it_is_sent_without_transcoding(client_for: ClientFor) -> None:
    page = client_for("analyst").get("/dashboard")
    assert page.content.isascii() and "&copy; Mayor&#39;s Office for Policing and Crime" in page.text


def test_pages_carry_the_areas_organisation_not_the_gov_uk_crown(client_for: ClientFor) -> None:
    """Issue 13: a London partnership's service, not a GOV.UK one (the GOV.UK Design System says
    services not on GOV.UK must not use the crown, the logotype or Crown copyright)."""
    for client, path in ((client_for(None), "/sign-in"), (client_for("analyst"), "/dashboard")):
        page = client.get(path).text
        assert '<a class="lj-org-header__link" href="/">London Criminal Justice Partnership</a>' \
            in page
        assert "Open Government Licence v3.0" in page
        for gov_uk in ("Crown copyright", "govuk-header__logo", "govuk-logo", "govuk-footer__crown",
                       "govuk-header__logotype"):
            assert gov_uk not in page, (path, gov_uk)


def test_methodology_page_per_measure(client_for: ClientFor) -> None:
    client = client_for("analyst")
    page = client.get("/dashboard/proven_reoffending/methodology")
    assert page.status_code == 200 and "Guide to proven reoffending statistics" in page.text
    assert client.get("/api/dashboard/proven_reoffending/methodology").json()["methodology"]["sections"]
    assert client.get("/dashboard/nope/methodology").status_code == 404


def test_dashboard_says_it_waits_for_measures_when_nothing_is_published(
        app: FastAPI, client_for: ClientFor) -> None:
    (app.state.settings.published_dir / "measures.json").unlink()
    client = client_for("analyst")
    data = client.get("/api/dashboard").json()
    assert data["published"] is False and data["measures"] == []
    assert "Waiting for measures" in client.get("/dashboard").text


def test_data_loads_show_batches_conservation_and_reasons_without_row_values(client_for: ClientFor) -> None:
    client = client_for("analyst")
    data = client.get("/api/loads").json()
    assert data["batches"] and data["all_conserved"] is True
    assert data["rows_read"] == data["rows_loaded"] + data["rows_quarantined"]
    assert all(set(r) == {"kind", "source", "column", "rule", "reason", "rows"} for r in data["reasons"])
    page = client.get("/loads")
    assert page.status_code == 200 and "Batches" in page.text
    assert_no_inline_code(page.text)


def test_data_loads_say_what_to_do_when_nothing_is_loaded(app: FastAPI, client_for: ClientFor) -> None:
    app.state.settings.warehouse_path.unlink()
    page = client_for("analyst").get("/loads")
    assert page.status_code == 503 and "localjustice demo" in page.text


def test_error_pages_have_no_stack_trace_and_json_errors_for_the_api(
        app: FastAPI, client_for: ClientFor) -> None:
    client = client_for("analyst")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert client.get("/api/no-such-thing").json() == {"detail": "If you typed the web address, check it is "
                                                                  "correct."}
    forbidden = client.get("/audit")
    assert forbidden.status_code == 403 and "You do not have access" in forbidden.text

    def broken() -> None:
        raise RuntimeError("secret detail that must not leak")

    app.state.dashboard.load = broken
    failed = client.get("/dashboard")
    assert failed.status_code == 500
    assert "secret detail" not in failed.text and "Traceback" not in failed.text
    assert "Content-Security-Policy" in failed.headers and failed.headers["X-Request-ID"] in failed.text
    assert client.get("/api/dashboard").status_code == 500


def test_every_page_is_free_of_inline_script_and_style(client_for: ClientFor) -> None:
    admin = client_for("admin")
    for path in ("/", "/sign-in", "/audit", "/users", "/users/1", "/users/new", "/loads", "/dashboard",
                 "/dashboard/proven_reoffending/methodology", "/evaluations", "/nope"):
        assert_no_inline_code(admin.get(path).text)
    steward = client_for("data_steward")
    for path in ("/linkage/review", "/linkage/review/pair?n=1"):
        assert_no_inline_code(steward.get(path).text)


def test_the_audit_page_checks_the_chain_against_the_servers_signed_checkpoints(
        app: FastAPI, app_db_url: str, client_for: ClientFor) -> None:
    """Issue 10 finding 7: the audit page's check also finds a chain rewritten and recomputed in
    the database, through the checkpoints the server signed outside it."""
    admin = client_for("admin")
    with app.state.sessions() as db:
        seal_pending(db, wait=True, anchor=app.state.audit_anchor)  # as the server's sealer does
    verified = admin.get("/api/audit", params={"verify": "true"}).json()
    assert verified["chain_ok"] is True and verified["chain_checkpoints"] == 1
    assert "1 signed checkpoints match" in admin.get("/audit", params={"verify": "true"}).text
    rewrite_and_recompute(app_db_url, ["UPDATE audit_event SET actor = 'someone else' WHERE seq = 1"])
    tampered = admin.get("/api/audit", params={"verify": "true"}).json()
    assert tampered["chain_ok"] is False and tampered["chain_problem"].startswith("checkpoint line 1:")
