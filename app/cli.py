"""The `costgraph` command line."""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import neo4j
import typer
from neo4j.exceptions import Neo4jError
from rich.console import Console
from rich.table import Table

from app.errors import DomainError
from app.graph.driver import (
    Connection,
    apply_schema,
    connect,
    embedded_from,
    open_driver,
    write_tx,
)
from app.graph.embedded import EmbeddedError
from app.graph.queries import QueryFileError, load_queries
from app.logs import configure_logging
from app.pricing.store import seed_default_catalog
from app.settings import get_settings

logger = logging.getLogger(__name__)
console = Console()
err_console = Console(stderr=True)

cli = typer.Typer(
    help="Costgraph: cost attribution, budgets and fitness for AI agent fleets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
neo4j_cli = typer.Typer(help="Manage the embedded Neo4j server.", no_args_is_help=True)
cli.add_typer(neo4j_cli, name="neo4j")

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> typer.Exit:
    """One readable line on stderr and exit code 1."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


@contextmanager
def readable_errors() -> Iterator[None]:
    try:
        yield
    except (EmbeddedError, DomainError, QueryFileError, ValueError) as exc:
        raise fail(str(exc)) from exc
    except Neo4jError as exc:
        raise fail(f"Neo4j: {exc.message or exc}") from exc


@contextmanager
def graph() -> Iterator[tuple[neo4j.Driver, Connection]]:
    """A driver on the configured Neo4j; an embedded server started here is stopped after."""
    settings = get_settings()
    with readable_errors():
        connection = connect(settings)
        try:
            with open_driver(connection) as driver:
                apply_schema(driver, settings.neo4j_database)
                seed_default_catalog(driver, settings.neo4j_database)
                yield driver, connection
        finally:
            connection.close()


@cli.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    configure_logging("INFO" if verbose else "WARNING")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes (use the cores: each one parses, validates and prices "
            "requests while another writes; their writes take turns).",
        ),
    ] = 1,
) -> None:
    """Run the API (starting the embedded Neo4j when NEO4J_URI is unset)."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    configure_logging(settings.log_level)
    logging.getLogger().setLevel(settings.log_level.upper())
    with readable_errors():
        started = time.monotonic()
        connection = connect(settings)
    try:
        console.print(
            f"Neo4j ready on {connection.uri} ({time.monotonic() - started:.1f}s); "
            f"API on http://{host}:{port}" + (f" ({workers} workers)" if workers > 1 else "")
        )
        log_level = settings.log_level.lower()
        if workers == 1:
            app = create_app(settings, connection=connection)
            uvicorn.run(app, host=host, port=port, log_level=log_level)
        else:
            # Workers are fresh processes that read their settings from the environment;
            # their writes take turns through a lock file in the data folder.
            os.environ["NEO4J_URI"] = connection.uri
            os.environ["COSTGRAPH_HOST_LOCK_DIR"] = str((settings.data_dir / "locks").resolve())
            uvicorn.run(
                "app.main:worker_app",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level=log_level,
            )
    finally:
        if connection.started_here:
            console.print("stopping the embedded Neo4j")
        connection.close()


@cli.command()
def migrate() -> None:
    """Apply cypher/schema.cypher (constraints and indexes); safe to repeat."""
    with graph() as (driver, _):
        count = apply_schema(driver, get_settings().neo4j_database)
    console.print(f"schema applied: {count} statements")


@cli.command()
def compact(
    usage_days: Annotated[
        int | None, typer.Option(help="Keep usage per call this many days (default: setting).")
    ] = None,
    daily_days: Annotated[
        int | None, typer.Option(help="Keep per-day sums this many days (default: setting).")
    ] = None,
) -> None:
    """Roll old usage into per-day sums and old days into months; totals stay the same."""
    from app.reports.retention import Policy
    from app.reports.retention import compact as run_compaction

    settings = get_settings()
    with graph() as (driver, _), readable_errors():
        policy = Policy(
            usage_days or settings.retention_usage_days,
            daily_days or settings.retention_daily_days,
        )
        done = run_compaction(
            driver, now=datetime.now(UTC), policy=policy, database=settings.neo4j_database
        )
    console.print(
        f"usage before {done.horizon:%Y-%m-%d}: {done.deleted} events now in daily sums "
        f"({done.rolled} newly rolled up, {done.windows_carried} budget windows carried); "
        f"days before {done.month_horizon:%Y-%m-%d}: {done.days_merged} daily sums folded "
        "into months"
    )


@neo4j_cli.command("start")
def neo4j_start() -> None:
    """Start the embedded Neo4j (or report the one already running)."""
    embedded = embedded_from(get_settings())
    began = time.monotonic()
    with readable_errors():
        uri, started = embedded.start()
    state = f"started in {time.monotonic() - began:.1f}s" if started else "already running"
    console.print(f"Neo4j {state} on {uri} (data: {embedded.home})")


@neo4j_cli.command("stop")
def neo4j_stop() -> None:
    """Stop the embedded Neo4j."""
    with readable_errors():
        stopped = embedded_from(get_settings()).stop()
    console.print("Neo4j stopped" if stopped else "Neo4j was not running")


@neo4j_cli.command("status")
def neo4j_status() -> None:
    """Say whether the embedded Neo4j runs, and where."""
    status = embedded_from(get_settings()).status()
    if status.running:
        console.print(f"running: pid {status.pid} on {status.uri}")
    else:
        console.print("not running")
        raise typer.Exit(code=3)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs; a value that reads as JSON (numbers, lists, true, null) is taken as
    JSON, an RFC 3339 time with an offset (2026-11-01T00:00:00Z) as a datetime."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"--param takes key=value, got {pair!r}")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = _instant_or_text(raw)
    return params


def _instant_or_text(raw: str) -> Any:
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    return instant if "T" in raw and instant.tzinfo is not None else raw


def print_rows(keys: list[str], rows: list[dict[str, Any]], csv_path: Path | None) -> None:
    if csv_path is not None:
        out = sys.stdout if str(csv_path) == "-" else csv_path.open("w", newline="")
        writer = csv.DictWriter(out, fieldnames=keys)
        writer.writeheader()
        writer.writerows({k: _cell(row.get(k)) for k in keys} for row in rows)
        if out is not sys.stdout:
            out.close()
            console.print(f"{len(rows)} rows written to {csv_path}")
        return
    table = Table(*keys)
    for row in rows:
        table.add_row(*(_cell(row.get(k)) for k in keys))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


@cli.command()
def query(
    name: Annotated[str, typer.Argument(help="A file of cypher/, e.g. reports/cost_by_project.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value")] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write CSV here (- for stdout).")
    ] = None,
) -> None:
    """Run a named query of cypher/ and print a table (or CSV)."""
    queries = load_queries()
    key = name.removesuffix(".cypher").removeprefix("cypher/")
    if key not in queries:
        raise fail(f"no query {name!r}; known: {', '.join(sorted(queries))}")
    with readable_errors():
        params = parse_params(param or [])
    with graph() as (driver, _), readable_errors():
        records, summary, keys = driver.execute_query(
            queries[key].text, params, database_=get_settings().neo4j_database
        )
    print_rows(list(keys), [r.data() for r in records], csv_path)


def _mount_reports() -> None:
    from app.reports.cli import cli as report_cli

    cli.add_typer(report_cli, name="report")


_mount_reports()
keys_cli = typer.Typer(help="Manage API keys.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
pricing_cli = typer.Typer(help="Manage the price catalog.", no_args_is_help=True)
cli.add_typer(pricing_cli, name="pricing")
limits_cli = typer.Typer(help="Apply the limits configuration.", no_args_is_help=True)
cli.add_typer(limits_cli, name="limits")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who the key is for.")],
    scope: Annotated[list[str], typer.Option("--scope", "-s", help="ingest, read or admin.")],
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from app.auth.model import new_key, validate_scopes
    from app.auth.store import create_key

    with readable_errors():
        scopes = validate_scopes(scope)
    key = new_key()
    with graph() as (driver, _), driver.session(database=get_settings().neo4j_database) as s:
        write_tx(s, lambda tx: create_key(tx, key=key, name=name, scopes=scopes))
    err_console.print(f"key for {name} with scopes {', '.join(sorted(scopes))} (shown once):")
    print(key)


@pricing_cli.command("import")
def pricing_import(
    path: Annotated[Path | None, typer.Argument(help="A LiteLLM price map JSON file.")] = None,
    litellm: Annotated[bool, typer.Option("--litellm", help="The file is a LiteLLM map.")] = True,
) -> None:
    """Import a LiteLLM price map; no PATH: the one bundled with an installed `litellm`."""

    from app.pricing.litellm import default_litellm_map_path, read_litellm_map
    from app.pricing.routes import import_cards
    from app.pricing.store import CatalogCache

    source = path or default_litellm_map_path()
    if source is None:
        raise fail("no PATH given and no installed litellm package bundles a price map")
    if not source.is_file():
        raise fail(f"no such file: {source}")
    with readable_errors():
        price_map = read_litellm_map(source)
    database = get_settings().neo4j_database
    with graph() as (driver, _), readable_errors():
        current = CatalogCache().get(driver, database)
        result = import_cards(driver, database, current, price_map, datetime.now(UTC))
    console.print(
        f"{result.created} price versions added from {source}; "
        f"{len(result.skipped)} entries skipped"
    )
    for line in result.skipped[:20]:
        console.print(f"  skipped {line}", highlight=False)


@limits_cli.command("apply")
def limits_apply(path: Annotated[Path, typer.Argument(help="limits.yaml or .json")]) -> None:
    """Load the limits configuration from a file and make the budgets match it."""

    import yaml

    from app.budgets.limit_routes import apply_limits, read_limits

    if not path.is_file():
        raise fail(f"no such file: {path}")
    with readable_errors():
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ValueError(f"{path} is not valid YAML: {exc}") from exc
        limits = read_limits(data)
    settings = get_settings()
    with graph() as (driver, _), driver.session(database=settings.neo4j_database) as session:
        ids = write_tx(
            session, apply_limits, limits, platform_id=settings.platform_id, now=datetime.now(UTC)
        )
    console.print(f"limits applied: {len(ids)} budgets ({', '.join(ids)})")


@cli.command("import")
def import_usage(
    path: Annotated[Path, typer.Argument(help="Usage events, one JSON object per line.")],
    batch: Annotated[int, typer.Option(help="Events per transaction.")] = 5000,
) -> None:
    """Record usage events from a JSON-lines file through the ledger (safe to re-run)."""

    from pydantic import ValidationError
    from rich.progress import Progress

    from app.pricing.store import CatalogCache
    from app.usage import ledger
    from app.usage.routes import to_record
    from app.usage.schemas import UsageEvent

    if not path.is_file():
        raise fail(f"no such file: {path}")
    settings = get_settings()
    lines = path.read_text().splitlines()
    accepted = duplicates = 0
    with graph() as (driver, _), Progress(console=err_console) as progress:
        task = progress.add_task("recording", total=len(lines))
        catalog = CatalogCache().get(driver, settings.neo4j_database)
        for start in range(0, len(lines), batch):
            chunk = [line for line in lines[start : start + batch] if line.strip()]
            now = datetime.now(UTC)
            try:
                records = [to_record(UsageEvent.model_validate_json(x), now) for x in chunk]
            except ValidationError as exc:
                raise fail(f"{path}: a line near {start + 1}: {exc.errors()[0]['msg']}") from exc
            with readable_errors():
                done = ledger.record(
                    driver,
                    records,
                    catalog,
                    platform_id=settings.platform_id,
                    database=settings.neo4j_database,
                    now=now,
                )
            accepted += done.accepted
            duplicates += done.duplicates
            progress.advance(task, len(chunk))
    console.print(f"{accepted} events recorded, {duplicates} already known")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
