"""Agents, outcomes, fitness, selection and lineage over HTTP, against the real graph."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import neo4j
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.auth.store import create_key
from app.money import format_usd

pytestmark = pytest.mark.neo4j

PROBLEM = "application/problem+json"
SONNET = "claude-sonnet-4-5"  # $3 / $15 per million input / output tokens
HAIKU = "claude-haiku-4-5"  # $1 / $5


def use(
    client: TestClient,
    agent_id: str,
    run_id: str,
    model: str,
    input_tokens: int = 1000,
    output_tokens: int = 200,
) -> None:
    response = client.post(
        "/v1/usage",
        json={
            "event_id": f"{agent_id}-{run_id}-{model}-{input_tokens}",
            "model": model,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "agent_id": agent_id,
            "run_id": run_id,
            "project_id": "evolution",
        },
    )
    assert response.status_code == 200, response.text


def outcome(
    client: TestClient,
    agent_id: str,
    run_id: str,
    success: bool = True,
    quality: float = 0.8,
    duration_s: float = 10.0,
) -> dict[str, Any]:
    response = client.post(
        "/v1/evolution/outcomes",
        json={
            "run_id": run_id,
            "agent_id": agent_id,
            "success": success,
            "quality": quality,
            "duration_s": duration_s,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def run(
    client: TestClient,
    agent_id: str,
    run_id: str,
    model: str,
    success: bool = True,
    quality: float = 0.8,
    duration_s: float = 10.0,
) -> None:
    use(client, agent_id, run_id, model)
    outcome(client, agent_id, run_id, success, quality, duration_s)


def fitness(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/v1/evolution/fitness", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_agent(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["agent_id"]: a for a in report["agents"]}


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + kind)
    return body


# -- agents --------------------------------------------------------------------------------


def test_registering_an_agent_answers_201_with_the_stored_agent(client: TestClient) -> None:
    body = {"id": "coder-v4", "name": "coder", "type": "coding", "version": "4"}
    first = client.post("/v1/agents", json={**body, "parent_ids": ["coder-v3"]})
    assert first.status_code == 201, first.text
    agent = first.json()
    assert {k: agent[k] for k in ("id", "name", "type", "version", "parent_ids")} == {
        **body,
        "parent_ids": ["coder-v3"],
    }
    assert agent["created_parent_ids"] == ["coder-v3"]
    assert agent["child_ids"] == []

    again = client.post("/v1/agents", json={**body, "parent_ids": ["coder-v3"]})
    assert again.status_code == 201
    assert again.json()["created_parent_ids"] == []
    assert again.json()["parent_ids"] == ["coder-v3"]

    parent = client.get("/v1/agents/coder-v3")
    assert parent.status_code == 200
    assert parent.json()["child_ids"] == ["coder-v4"]
    assert parent.json()["name"] is None
    assert client.get("/v1/agents/coder-v4").json()["version"] == "4"


def test_unknown_agent_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/agents/nobody"), 404, "not-found")


def test_a_cycle_is_a_409_and_changes_nothing(client: TestClient) -> None:
    client.post("/v1/agents", json={"id": "b", "parent_ids": ["a"]}).raise_for_status()
    client.post("/v1/agents", json={"id": "c", "parent_ids": ["b"]}).raise_for_status()

    problem = assert_problem(
        client.post("/v1/agents", json={"id": "a", "version": "2", "parent_ids": ["new", "c"]}),
        409,
        "conflict",
    )
    assert problem["agent_id"] == "a" and "c" in problem["detail"]
    assert_problem(
        client.post("/v1/agents", json={"id": "b", "parent_ids": ["b"]}), 409, "conflict"
    )

    assert client.get("/v1/agents/a").json()["parent_ids"] == []
    assert client.get("/v1/agents/a").json()["version"] is None
    assert client.get("/v1/agents/new").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "no id"},
        {"id": ""},
        {"id": "x", "parent_ids": "y"},
        {"id": "x", "version": 4},
        {"id": "x", "colour": "red"},
    ],
)
def test_malformed_agents_are_422(client: TestClient, body: dict[str, Any]) -> None:
    assert_problem(client.post("/v1/agents", json=body), 422, "invalid-input")


def test_a_read_key_cannot_write_agents_or_outcomes(
    client: TestClient, graph: neo4j.Driver
) -> None:
    with graph.session() as session:
        session.execute_write(create_key, key="read-only", name="dash", scopes=frozenset({"read"}))
    reader = {"Authorization": "Bearer read-only"}
    response = client.post("/v1/agents", json={"id": "x"}, headers=reader)
    assert_problem(response, 403, "forbidden")
    response = client.post(
        "/v1/evolution/outcomes",
        json={"run_id": "r", "agent_id": "x", "success": True, "quality": 1, "duration_s": 1},
        headers=reader,
    )
    assert_problem(response, 403, "forbidden")
    assert client.get("/v1/evolution/fitness", headers=reader).status_code == 200


# -- outcomes ------------------------------------------------------------------------------


def test_recording_an_outcome_again_changes_nothing(client: TestClient) -> None:
    first = outcome(client, "coder", "run-1", True, 0.9, 12.5)
    assert first == {
        "run_id": "run-1",
        "agent_id": "coder",
        "success": True,
        "quality": 0.9,
        "duration_s": 12.5,
        "changed": True,
    }
    assert outcome(client, "coder", "run-1", True, 0.9, 12.5)["changed"] is False
    assert outcome(client, "coder", "run-1", False, 0.1, 12.5)["changed"] is True
    report = by_agent(fitness(client, population="coder"))
    assert (report["coder"]["outcomes"], report["coder"]["successes"]) == (1, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quality", 1.5),
        ("quality", -0.01),
        ("quality", "high"),
        ("duration_s", -1),
        ("success", "yes"),
        ("success", 1),
        ("run_id", ""),
    ],
)
def test_impossible_outcomes_are_422(client: TestClient, field: str, value: Any) -> None:
    body = {"run_id": "r", "agent_id": "a", "success": True, "quality": 0.5, "duration_s": 1.0}
    problem = assert_problem(
        client.post("/v1/evolution/outcomes", json={**body, field: value}), 422, "invalid-input"
    )
    assert problem["errors"][0]["field"] == field
    assert client.get("/v1/agents/a").status_code == 404


# -- fitness -------------------------------------------------------------------------------


def test_at_equal_effectiveness_and_efficiency_the_cheaper_agent_scores_higher(
    client: TestClient,
) -> None:
    for run_id in ("r1", "r2"):
        run(client, "cheap", f"cheap-{run_id}", HAIKU)
        run(client, "dear", f"dear-{run_id}", SONNET)

    report = fitness(client, population="dear,cheap")
    cheap, dear = report["agents"]

    assert (cheap["agent_id"], dear["agent_id"]) == ("cheap", "dear")
    assert cheap["effectiveness"] == dear["effectiveness"] == pytest.approx(0.8)
    assert cheap["efficiency"] == dear["efficiency"] == 1.0
    # per run: 1000 x $1/M + 200 x $5/M against 1000 x $3/M + 200 x $15/M
    assert (cheap["cost_usd"], dear["cost_usd"]) == ("0.004000000", "0.012000000")
    assert cheap["mean_cost_per_run_usd"] == "0.002000000"
    assert cheap["cost_efficiency"] == 1.0
    assert dear["cost_efficiency"] == pytest.approx(1 / 3)
    assert cheap["fitness"] > dear["fitness"]
    assert cheap["fitness"] - dear["fitness"] == pytest.approx(0.3 * (1 - 1 / 3))
    assert report["weights"] == pytest.approx(
        {"effectiveness": 0.4, "efficiency": 0.3, "cost_efficiency": 0.3}
    )
    assert all(a["scored"] and a["runs"] == 2 for a in report["agents"])


def careful_and_sloppy(client: TestClient) -> None:
    """careful: sonnet, always right; sloppy: haiku, half right at half quality."""
    run(client, "careful", "c1", SONNET, True, 1.0)
    run(client, "careful", "c2", SONNET, True, 1.0)
    run(client, "sloppy", "s1", HAIKU, True, 0.5)
    run(client, "sloppy", "s2", HAIKU, False, 0.5)


@pytest.mark.parametrize(
    ("weights", "ranking"),
    [
        ("", ["careful", "sloppy"]),
        ("effectiveness:1,efficiency:0,cost_efficiency:0", ["careful", "sloppy"]),
        ("effectiveness:0,efficiency:0,cost_efficiency:1", ["sloppy", "careful"]),
        ("effectiveness:0.1,cost_efficiency:5", ["sloppy", "careful"]),
    ],
)
def test_weights_change_rankings_as_expected(
    client: TestClient, weights: str, ranking: list[str]
) -> None:
    careful_and_sloppy(client)
    report = fitness(client, weights=weights)
    assert [a["agent_id"] for a in report["agents"]] == ranking
    w = report["weights"]
    assert sum(w.values()) == pytest.approx(1.0)
    for agent in report["agents"]:
        expected = sum(w[d] * agent[d] for d in ("effectiveness", "efficiency", "cost_efficiency"))
        assert agent["fitness"] == pytest.approx(expected)


def test_the_dimensions_of_careful_and_sloppy(client: TestClient) -> None:
    careful_and_sloppy(client)
    agents = by_agent(fitness(client, weights="effectiveness:2,efficiency:1,cost_efficiency:1"))
    careful, sloppy = agents["careful"], agents["sloppy"]
    assert (careful["effectiveness"], sloppy["effectiveness"]) == (1.0, 0.25)
    # tokens and seconds per success: sloppy needs twice of both
    assert (careful["efficiency"], sloppy["efficiency"]) == (1.0, 0.5)
    # cost per success: careful 6,000,000 nano-USD; sloppy 2,000,000 / 0.5 = 4,000,000
    assert careful["cost_efficiency"] == pytest.approx(4 / 6)
    assert sloppy["cost_efficiency"] == 1.0
    assert careful["fitness"] == pytest.approx(0.5 * 1 + 0.25 * 1 + 0.25 * 4 / 6)


def test_agents_without_outcomes_are_unscored_not_zero(client: TestClient) -> None:
    run(client, "worker", "w1", HAIKU)
    use(client, "idle", "i1", HAIKU)
    client.post("/v1/agents", json={"id": "fresh"}).raise_for_status()
    report = fitness(client)
    assert [a["agent_id"] for a in report["agents"]] == ["worker", "fresh", "idle"]
    for agent_id, runs, cost in (("fresh", 0, "0.000000000"), ("idle", 1, "0.002000000")):
        agent = by_agent(report)[agent_id]
        assert agent["scored"] is False
        assert agent["runs"] == runs and agent["cost_usd"] == cost
        for name in ("effectiveness", "efficiency", "cost_efficiency", "fitness"):
            assert agent[name] is None
    assert by_agent(report)["fresh"]["mean_cost_per_run_usd"] is None
    assert by_agent(report)["worker"]["fitness"] == pytest.approx(0.92)


@pytest.mark.parametrize(
    "weights",
    [
        "effectiveness:-1",
        "speed:1",
        "effectiveness",
        "effectiveness:x",
        "effectiveness:0,efficiency:0,cost_efficiency:0",
        "effectiveness:1,effectiveness:2",
        "effectiveness:inf",
    ],
)
def test_bad_weights_are_422(client: TestClient, weights: str) -> None:
    response = client.get("/v1/evolution/fitness", params={"weights": weights})
    problem = assert_problem(response, 422, "invalid-input")
    assert problem["detail"].startswith("weights:")


def test_unknown_or_empty_populations(client: TestClient) -> None:
    client.post("/v1/agents", json={"id": "known"}).raise_for_status()
    problem = assert_problem(
        client.get("/v1/evolution/fitness", params={"population": "known,ghost,zombie"}),
        404,
        "not-found",
    )
    assert problem["unknown_agent_ids"] == ["ghost", "zombie"]
    response = client.get("/v1/evolution/fitness", params={"population": " , "})
    assert_problem(response, 422, "invalid-input")
    assert [a["agent_id"] for a in fitness(client, population="known")["agents"]] == ["known"]


# -- selection -----------------------------------------------------------------------------

FLEET = {
    # agent: (model, [(success, quality, seconds) per run])
    "haiku-a": (HAIKU, [(True, 0.9, 8.0), (True, 0.7, 9.0)]),
    "sonnet-b": (SONNET, [(True, 1.0, 6.0), (True, 0.95, 7.0)]),
    "mini-c": ("gpt-4o-mini", [(True, 0.5, 12.0), (False, 0.2, 20.0)]),
    "opus-d": ("claude-opus-4-1", [(True, 1.0, 5.0), (True, 1.0, 5.0)]),
    "flash-e": ("gemini-2.5-flash", [(False, 0.0, 30.0), (True, 0.6, 10.0)]),
}


def set_up_fleet(client: TestClient) -> dict[str, dict[str, Any]]:
    for agent_id, (model, results) in FLEET.items():
        for i, (ok, quality, seconds) in enumerate(results):
            use(client, agent_id, f"{agent_id}-{i}", model, 1000, 500)
            outcome(client, agent_id, f"{agent_id}-{i}", ok, quality, seconds)
    use(client, "unscored-u", "u-0", HAIKU)
    return by_agent(fitness(client))


def select(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/evolution/select", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_selection_never_exceeds_the_budget(client: TestClient) -> None:
    scores = set_up_fleet(client)
    population = sorted(scores)
    scored = {a for a, s in scores.items() if s["scored"]}
    assert scored == set(FLEET)

    @settings(max_examples=60, deadline=None)
    @given(
        budget_nanos=st.one_of(st.integers(0, 2_000_000_000), st.integers(0, 60_000_000)),
        runs_planned=st.integers(0, 20),
        n=st.integers(1, 7),
        seed=st.integers(-(2**31), 2**31),
        method=st.sampled_from(["tournament", "proportional"]),
    )
    def check(budget_nanos: int, runs_planned: int, n: int, seed: int, method: str) -> None:
        request = {
            "population": population,
            "n": n,
            "budget_usd": format_usd(budget_nanos),
            "runs_planned": runs_planned,
            "seed": seed,
            "method": method,
        }
        answer = select(client, **request)
        budget = Decimal(format_usd(budget_nanos))
        chosen = [s["agent_id"] for s in answer["selected"]]
        left_out = [s["agent_id"] for s in answer["excluded_for_cost"]]
        total = sum((Decimal(s["expected_cost_usd"]) for s in answer["selected"]), Decimal(0))

        assert total == Decimal(answer["expected_total_usd"]) <= budget
        assert Decimal(answer["remaining_usd"]) == budget - total
        assert len(chosen) == len(set(chosen)) <= n
        assert set(chosen) <= scored and not set(chosen) & set(left_out)
        assert answer["unscored"] == ["unscored-u"]
        for s in answer["selected"] + answer["excluded_for_cost"]:
            mean = Decimal(scores[s["agent_id"]]["mean_cost_per_run_usd"])
            assert Decimal(s["expected_cost_usd"]) == mean * runs_planned
            assert s["fitness"] == scores[s["agent_id"]]["fitness"]
        for s in answer["excluded_for_cost"]:
            assert Decimal(s["expected_cost_usd"]) > budget - total
        if len(chosen) < n:
            assert set(chosen) | set(left_out) == scored
        assert select(client, **request) == answer
        seen.add("some excluded for cost" if left_out else "none excluded for cost")
        seen.add("n reached" if len(chosen) == n else "candidates ran out")

    seen: set[str] = set()
    check()
    # the budgets drawn reach both sides of every branch of the selection loop
    assert seen == {
        "some excluded for cost",
        "none excluded for cost",
        "n reached",
        "candidates ran out",
    }


def test_selection_by_lineage_root(client: TestClient) -> None:
    for agent_id, parents in (("root", []), ("kid", ["root"]), ("grandkid", ["kid"])):
        client.post("/v1/agents", json={"id": agent_id, "parent_ids": parents}).raise_for_status()
    client.post("/v1/agents", json={"id": "stranger"}).raise_for_status()
    run(client, "kid", "k1", HAIKU)
    run(client, "grandkid", "g1", SONNET)
    run(client, "stranger", "s1", HAIKU)

    answer = select(client, root="kid", n=5, budget_usd="1", runs_planned=10, seed=7)

    assert answer["population"] == ["grandkid", "kid"]
    assert {s["agent_id"] for s in answer["selected"]} == {"kid", "grandkid"}
    assert answer["expected_total_usd"] == "0.080000000"  # 10 x $0.002 + 10 x $0.006
    tight = select(client, root="kid", n=5, budget_usd="0.05", runs_planned=10, seed=7)
    assert [s["agent_id"] for s in tight["selected"]] == ["kid"]
    assert tight["excluded_for_cost"] == [
        {"agent_id": "grandkid", "fitness": pytest.approx(0.72), "expected_cost_usd": "0.060000000"}
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"root": "a"},
        {"population": None},
        {"population": []},
        {"budget_usd": "abc"},
        {"budget_usd": "1.0000000001"},
        {"budget_usd": "-1"},
        {"budget_usd": 5.0},
        {"n": 0},
        {"runs_planned": -1},
        {"method": "roulette"},
        {"weights": {"speed": 1.0}},
        {"weights": "effectiveness:-1"},
    ],
)
def test_bad_selections_are_422(client: TestClient, changes: dict[str, Any]) -> None:
    client.post("/v1/agents", json={"id": "a"}).raise_for_status()
    body = {"population": ["a"], "n": 1, "budget_usd": "5.00", "runs_planned": 10, "seed": 1}
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None}
    assert_problem(client.post("/v1/evolution/select", json=body), 422, "invalid-input")


def test_selecting_among_unknown_agents_is_404(client: TestClient) -> None:
    body = {"n": 1, "budget_usd": "5.00", "runs_planned": 10, "seed": 1}
    response = client.post("/v1/evolution/select", json={**body, "population": ["ghost"]})
    assert_problem(response, 404, "not-found")
    assert_problem(
        client.post("/v1/evolution/select", json={**body, "root": "ghost"}), 404, "not-found"
    )


def test_selection_weights_pick_the_cheaper_parent(client: TestClient) -> None:
    careful_and_sloppy(client)
    body = {"population": ["careful", "sloppy"], "n": 1, "budget_usd": "1", "runs_planned": 1}
    quality_first = select(
        client, **body, seed=3, weights={"effectiveness": 1, "efficiency": 0, "cost_efficiency": 0}
    )
    cost_first = select(client, **body, seed=3, weights="effectiveness:0,efficiency:0")
    assert [s["agent_id"] for s in quality_first["selected"]] == ["careful"]
    assert [s["agent_id"] for s in cost_first["selected"]] == ["sloppy"]
    assert cost_first["weights"] == {
        "effectiveness": 0.0,
        "efficiency": 0.0,
        "cost_efficiency": 1.0,
    }


# -- lineage -------------------------------------------------------------------------------


def family(client: TestClient) -> None:
    """r -> c1, r -> c2, (c1, c2) -> g; c2 has no outcomes."""
    for agent_id, parents in (("r", []), ("c1", ["r"]), ("c2", ["r"]), ("g", ["c2", "c1"])):
        body = {"id": agent_id, "name": "coder", "version": agent_id, "parent_ids": parents}
        client.post("/v1/agents", json=body).raise_for_status()
    run(client, "r", "r-1", SONNET, True, 0.6)
    run(client, "c1", "c1-1", HAIKU, True, 0.9)
    run(client, "g", "g-1", HAIKU, True, 1.0)


def test_lineage_shape(client: TestClient) -> None:
    family(client)
    response = client.get("/v1/evolution/lineages/r")
    assert response.status_code == 200, response.text
    tree = response.json()

    assert tree["root"] == "r" and tree["ancestors"] == []
    nodes = {n["agent_id"]: n for n in tree["nodes"]}
    assert [n["agent_id"] for n in tree["nodes"]] == ["r", "c1", "c2", "g"]
    assert [n["generation"] for n in tree["nodes"]] == [0, 1, 1, 2]
    assert nodes["g"]["parent_ids"] == ["c1", "c2"] and nodes["r"]["parent_ids"] == []
    for node in tree["nodes"]:
        assert {"agent_id", "parent_ids", "generation", "fitness"} <= set(node)
        assert node["fitness"] is None or 0 <= node["fitness"] <= 1
    assert nodes["c2"]["fitness"] is None
    assert nodes["g"]["version"] == "g"

    scores = by_agent(fitness(client, population="r,c1,c2,g"))
    for agent_id in ("r", "c1", "g"):
        assert nodes[agent_id]["fitness"] == pytest.approx(scores[agent_id]["fitness"])
    # c2 is unscored, so its sub-lineage score is g's alone; g has no descendants
    assert nodes["c2"]["lineage_fitness"] == pytest.approx(nodes["g"]["fitness"])
    assert nodes["g"]["lineage_fitness"] == pytest.approx(nodes["g"]["fitness"])
    fit = {a: nodes[a]["fitness"] for a in ("r", "c1", "g")}
    # r at depth 0 weighs 1, c1 at depth 1 weighs 0.5, g at depth 2 weighs 0.25
    expected = (fit["r"] + 0.5 * fit["c1"] + 0.25 * fit["g"]) / 1.75
    assert nodes["r"]["lineage_fitness"] == pytest.approx(expected)


def test_lineage_of_a_descendant(client: TestClient) -> None:
    family(client)
    tree = client.get("/v1/evolution/lineages/c1", params={"decay": 0}).json()
    assert tree["root"] == "c1" and tree["ancestors"] == ["r"] and tree["decay"] == 0
    assert [(n["agent_id"], n["generation"]) for n in tree["nodes"]] == [("c1", 1), ("g", 2)]
    # a crossover names both parents, even the one outside this sub-lineage
    assert tree["nodes"][1]["parent_ids"] == ["c1", "c2"]
    assert tree["nodes"][0]["lineage_fitness"] == tree["nodes"][0]["fitness"]


def test_lineage_errors(client: TestClient) -> None:
    assert_problem(client.get("/v1/evolution/lineages/nobody"), 404, "not-found")
    client.post("/v1/agents", json={"id": "solo"}).raise_for_status()
    response = client.get("/v1/evolution/lineages/solo", params={"decay": 2})
    assert_problem(response, 422, "invalid-input")
    response = client.get("/v1/evolution/lineages/solo", params={"weights": "speed:1"})
    assert_problem(response, 422, "invalid-input")
    alone = client.get("/v1/evolution/lineages/solo").json()
    assert alone["nodes"] == [
        {
            "agent_id": "solo",
            "parent_ids": [],
            "generation": 0,
            "fitness": None,
            "lineage_fitness": None,
            "name": None,
            "version": None,
        }
    ]
