"""The evaluations pages: analysts and the board read published evaluations; nobody else does,
and no page names a participant (issue 14)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from localjustice.evaluate.programme_run import evaluate_programme
from localjustice.evaluate.report import publish_report, report_data
from tests.evaluate.test_programme_run import planted
from tests.evaluate.test_report import file_zone
from tests.web.conftest import ClientFor
from tests.web.published import write_measures


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    folder = tmp_path_factory.mktemp("evaluated")
    zone = file_zone(folder / "warehouse.duckdb")
    truth = planted(zone, 3000, -0.15, 7)
    result = evaluate_programme(zone.warehouse, "TTG", start=date(2019, 1, 1), end=date(2020, 1, 1))
    zone.warehouse.close()
    publish_report(report_data(result), folder / "published")
    return folder, truth


@pytest.fixture
def data_dir(tmp_path: Path, evaluated: tuple[Path, float]) -> Path:
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(evaluated[0], folder)
    write_measures(folder / "published")
    return folder


def test_the_board_sees_every_programme_and_the_published_result(client_for: ClientFor) -> None:
    board = client_for("board")
    listing = board.get("/api/evaluations").json()["evaluations"]
    by_code = {e["code"]: e for e in listing}
    assert set(by_code) >= {"TTG", "GPS", "AAMR", "WOMEN", "YAT"}
    assert by_code["TTG"]["published"] and not by_code["GPS"]["published"]
    page = board.get("/evaluations")
    assert page.status_code == 200
    assert "Through the Gate resettlement pathfinder" in page.text
    assert "Not evaluated yet" in page.text


def test_one_evaluation_page_and_its_json_twin_agree(client_for: ClientFor,
                                                      evaluated: tuple[Path, float]) -> None:
    analyst = client_for("analyst")
    data = analyst.get("/api/evaluations/TTG").json()
    rate = data["report"]["estimates"][0]
    assert rate["ci_lower"] < rate["estimate"] < rate["ci_upper"] < 0  # a planted reduction
    assert f'{rate["ci_lower"]} to {rate["ci_upper"]}' in analyst.get("/evaluations/TTG").text
    page = analyst.get("/evaluations/TTG").text
    assert data["report"]["statements"][0]["typical"] in page.replace("&#39;", "'")
    assert "Standardised mean differences" in page
    assert "Overlap of the propensity scores" in page
    overlap = data["report"]["overlap"]
    assert overlap and all((isinstance(o["participants"], int) and o["participants"] == 0)
                           or o["participants"] == "[c]" or o["participants"] > 4 for o in overlap)
    # Rosenbaum bounds: a planted reduction this clear survives some hidden bias, and says so
    assert rate["rosenbaum_test"] and rate["rosenbaum"][0]["gamma"] == 1.0
    bounds = [b["p_upper"] for b in rate["rosenbaum"]]
    assert bounds == sorted(bounds) and bounds[0] < 0.025
    gamma = rate["rosenbaum_gamma"]
    assert gamma is None or gamma > 1.0
    assert "Critical Gamma" in page
    assert (f"stops being significant at Gamma = {gamma}" in page if gamma is not None
            else "no hidden bias up to Gamma = 20" in page)
    spec = analyst.get("/api/evaluations/TTG/love-plot").json()
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    # pseudonymous ids never reach a page: the report holds counts only
    assert "person_id" not in page and "P1" not in page


@pytest.mark.parametrize("role", ["caseworker", None])
def test_caseworkers_and_anonymous_users_never_reach_evaluations(client_for: ClientFor,
                                                                 role: str | None) -> None:
    client = client_for(role)
    response = client.get("/api/evaluations/TTG", follow_redirects=False)
    assert response.status_code in (401, 403, 303)


def test_an_unpublished_or_unknown_programme_is_404(client_for: ClientFor) -> None:
    analyst = client_for("analyst")
    assert analyst.get("/api/evaluations/GPS").status_code == 404
    assert analyst.get("/api/evaluations/NOPE").status_code == 404
    assert analyst.get("/evaluations/bad%20code").status_code == 400  # refused by the path rule


def test_the_dashboard_links_to_the_evaluations_for_those_who_may_read_them(
        client_for: ClientFor) -> None:
    assert 'href="/evaluations"' in client_for("board").get("/dashboard").text
    # a caseworker sees the dashboard but may not open evaluations: no dead link
    page = client_for("caseworker").get("/dashboard").text
    assert "programme evaluations</a>" not in page
