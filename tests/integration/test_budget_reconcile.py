"""Spend windows equal the traversal over the usage, with networkx as a third oracle.

Random organisation trees, random budgets up and down them (some created after
usage already exists), random events: every SpendWindow the ledger maintained
holds exactly what `budgets/reconcile` sums by traversal and what networkx
computes from the same facts in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import neo4j
import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.budgets import store
from app.budgets.model import Budget, Scope, Window, window_for
from app.graph.queries import cypher
from app.pricing.model import Catalog, Usage, load_default_catalog
from app.pricing.store import seed_default_catalog
from app.usage import ledger
from app.usage.model import UsageRecord

CATALOG = Catalog(load_default_catalog())
NOW = datetime.now(UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]


@dataclass
class World:
    projects: dict[str, str]  # project -> team
    tasks: dict[str, str]  # task -> project
    budgets: list[Budget] = field(default_factory=list)
    late_budgets: list[Budget] = field(default_factory=list)
    events: list[UsageRecord] = field(default_factory=list)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    teams = [f"team{i}" for i in range(draw(st.integers(1, 2)))]
    projects = {f"proj{i}": draw(st.sampled_from(teams)) for i in range(draw(st.integers(1, 3)))}
    tasks = {
        f"task{i}": draw(st.sampled_from(sorted(projects))) for i in range(draw(st.integers(1, 4)))
    }
    agents = ["a1", "a2"]
    scopes = (
        [Scope("platform", "default")]
        + [Scope("team", t) for t in teams]
        + [Scope("project", p) for p in projects]
        + [Scope("task", t) for t in tasks]
        + [Scope("agent", a) for a in agents]
    )
    budgets: list[Budget] = []
    for i in range(draw(st.integers(1, 6))):
        parent = draw(st.sampled_from([None, *[b.id for b in budgets]]))
        budgets.append(
            Budget(
                id=f"b{i}",
                name=f"b{i}",
                scope=draw(st.sampled_from(scopes)),
                amount_nanos=10**12,
                token_limit=None,
                period=draw(st.sampled_from(["day", "week", "month", "total"])),
                timezone=draw(st.sampled_from(ZONES)),
                parent_id=parent,
            )
        )
    split = draw(st.integers(0, len(budgets)))
    world = World(projects, tasks, budgets[:split], budgets[split:])
    for i in range(draw(st.integers(1, 30))):
        task = draw(st.sampled_from([None, *sorted(tasks)]))
        project = tasks[task] if task else draw(st.sampled_from([None, *sorted(projects)]))
        team = projects[project] if project else draw(st.sampled_from([None, *teams]))
        world.events.append(
            UsageRecord(
                event_id=f"e{i}",
                timestamp=NOW - timedelta(minutes=draw(st.integers(0, 60 * 24 * 3))),
                model=draw(st.sampled_from(["gpt-4o-mini", "claude-sonnet-4-5"])),
                usage=Usage(draw(st.integers(0, 50_000)), draw(st.integers(0, 5_000))),
                agent_id=draw(st.sampled_from([None, *agents])),
                run_id=draw(st.sampled_from([None, f"run{i % 3}-{task}"])) if task else None,
                task_id=task,
                project_id=project,
                team_id=team,
            )
        )
    return world


def oracle(world: World, budget: Budget, window: Window) -> int:
    """networkx: the events whose scope lies under the scope of the budget or of one of
    its descendant budgets, summed."""
    tree = nx.DiGraph()  # child -> parent
    for project, team in world.projects.items():
        tree.add_edge(("project", project), ("team", team))
    for task, project in world.tasks.items():
        tree.add_edge(("task", task), ("project", project))
    for node in list(tree.nodes):
        if node[0] == "team":
            tree.add_edge(node, ("platform", "default"))
    budgets = nx.DiGraph()
    everything = world.budgets + world.late_budgets
    for b in everything:
        budgets.add_node(b.id)
        if b.parent_id:
            budgets.add_edge(b.parent_id, b.id)
    by_id = {b.id: b for b in everything}
    covered = {
        (by_id[x].scope.kind, by_id[x].scope.id)
        for x in nx.descendants(budgets, budget.id) | {budget.id}
    }
    total = 0
    for event in world.events:
        start = next(
            (
                (k, getattr(event, f"{k}_id"))
                for k in ("task", "project", "team")
                if getattr(event, f"{k}_id")
            ),
            ("platform", "default"),
        )
        chain = {start, ("platform", "default")}
        if start in tree:
            chain |= nx.descendants(tree, start)
        if event.agent_id:
            chain.add(("agent", event.agent_id))
        if chain & covered and window.start <= event.timestamp < window.end:
            card = CATALOG.lookup(event.model, event.timestamp)
            assert card is not None
            from app.pricing.model import price

            total += price(card, event.usage).total_nanos
    return total


def create(driver: neo4j.Driver, budgets: list[Budget]) -> None:
    with driver.session() as session:
        for budget in budgets:
            session.execute_write(store.create_budget, budget, platform_id="default", now=NOW)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_windows_equal_traversal_equal_networkx(driver: neo4j.Driver, world: World) -> None:
    driver.execute_query(cypher("admin/wipe"))
    seed_default_catalog(driver)
    # The tree is established by usage naming it, so budgets can follow it.
    create(driver, world.budgets)
    half = len(world.events) // 2
    ledger.record(driver, world.events[:half], CATALOG, platform_id="default", now=NOW)
    create(driver, world.late_budgets)
    ledger.record(driver, world.events[half:], CATALOG, platform_id="default", now=NOW)
    records, _, _ = driver.execute_query(
        "MATCH (b:Budget)-[:HAS_WINDOW]->(w:SpendWindow) "
        "RETURN b.id AS id, w.start AS start, w.end AS end, w.spent_nanousd AS spent"
    )
    by_id = {b.id: b for b in world.budgets + world.late_budgets}
    assert {r["id"] for r in records} == set(by_id)
    for r in records:
        window = Window(r["start"].to_native(), r["end"].to_native())
        traversal = store.reconcile(driver, r["id"], window).spent_nanos
        assert r["spent"] == traversal == oracle(world, by_id[r["id"]], window), r["id"]
    # An early budget has a window for every period in which usage fell under it when the
    # usage was recorded. (A budget created later may widen what it covers; the windows of
    # periods that saw no usage under it then are not made up.)
    seen = {(r["id"], r["start"].to_native()) for r in records}
    before = World(world.projects, world.tasks, world.budgets, [], world.events[:half])
    after = World(
        world.projects, world.tasks, world.budgets, world.late_budgets, world.events[half:]
    )
    for budget in world.budgets:
        for part in (before, after):
            for event in part.events:
                w = window_for(budget.period, budget.timezone, event.timestamp)
                if oracle(part, budget, w):
                    assert (budget.id, w.start) in seen, (budget.id, w)
