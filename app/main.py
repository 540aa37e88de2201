"""The FastAPI application: built by create_app, one Neo4j driver owned by the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import neo4j
from fastapi import FastAPI

from app import __version__, health, hostlock, metrics, problems
from app.agents import routes as agent_routes
from app.alerts import routes as alert_routes
from app.alerts.delivery import Dispatcher
from app.budgets import limit_routes
from app.budgets import routes as budget_routes
from app.graph.driver import WRITE_TURN, Connection, apply_schema, connect, open_driver
from app.logs import configure_logging
from app.pricing import routes as pricing_routes
from app.pricing.store import CatalogCache, seed_default_catalog
from app.reports import routes as report_routes
from app.reports.retention import Policy
from app.settings import Settings, get_settings
from app.upkeep import UpkeepJob
from app.usage import routes as usage_routes

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    connection: Connection | None = None,
    driver: neo4j.Driver | None = None,
) -> FastAPI:
    """Build the app. Given a driver (tests), it is used and left open; given a
    connection, a driver is opened on it; given neither, the lifespan connects
    (starting the embedded Neo4j when NEO4J_URI is unset) and cleans up after."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned_connection = None
        if settings.host_lock_dir is not None:
            WRITE_TURN.share_with_host(settings.host_lock_dir / "write.lock")
        if driver is not None:
            app.state.driver = driver
        else:
            conn = connection
            if conn is None:
                conn = owned_connection = connect(settings)
            app.state.driver = open_driver(conn)
        # The workers of one host start together: they create the schema and seed the
        # catalog one at a time.
        with WRITE_TURN:
            apply_schema(app.state.driver, settings.neo4j_database)
            seed_default_catalog(app.state.driver, settings.neo4j_database)
        app.state.dispatcher = Dispatcher(app.state.driver, settings.neo4j_database)
        upkeep = UpkeepJob(
            app.state.driver,
            settings.neo4j_database,
            rollup_every_s=settings.rollup_interval_s,
            compact_every_s=settings.compact_interval_s,
            policy=Policy(settings.retention_usage_days, settings.retention_daily_days),
            dispatcher=app.state.dispatcher,
        )
        # One process of a host runs the upkeep jobs; another takes over if it ends.
        upkeep_turn = None
        if settings.host_lock_dir is not None:
            upkeep_turn = hostlock.hold_if_free(settings.host_lock_dir / "upkeep.lock")
        if settings.host_lock_dir is None or upkeep_turn is not None:
            upkeep.start()
        try:
            yield
        finally:
            upkeep.stop()
            if upkeep_turn is not None:
                upkeep_turn.close()
            app.state.dispatcher.close()
            if driver is None:
                app.state.driver.close()
            if owned_connection is not None:
                owned_connection.close()

    app = FastAPI(
        title="Costgraph",
        version=__version__,
        summary="Cost attribution, budgets and fitness for AI agent fleets",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.catalog = CatalogCache()
    problems.install(app)
    metrics.install(app)
    routers = (
        health.router,
        metrics.router,
        usage_routes.router,
        pricing_routes.router,
        budget_routes.router,
        alert_routes.router,
        limit_routes.router,
        agent_routes.router,
        report_routes.router,
    )
    for router in routers:
        app.include_router(router)
    return app


def worker_app() -> FastAPI:
    """The app of one `costgraph serve --workers N` process, configured by the environment
    its parent prepared (the Neo4j to use and the host's lock folder)."""
    return create_app(get_settings())
