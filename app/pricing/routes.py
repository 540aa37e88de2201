"""The versioned price catalog: read it, add a version, import a LiteLLM map."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from app.auth.deps import NeedsAdmin, NeedsRead
from app.deps import DriverDep, SettingsDep
from app.errors import Conflict, InvalidInput, NotFound
from app.graph.driver import write_tx
from app.pricing import store
from app.pricing.litellm import cards_from_litellm
from app.pricing.model import Catalog as RateCatalog
from app.pricing.model import PricingError, card_from_dict, card_to_dict
from app.pricing.schemas import Catalog, ImportResult, ModelVersions

router = APIRouter(prefix="/v1/pricing", tags=["pricing"])


def _catalog(request: Request, driver: DriverDep, settings: SettingsDep) -> RateCatalog:
    cache: store.CatalogCache = request.app.state.catalog
    return cache.get(driver, settings.neo4j_database)


@router.get("/models", response_model=Catalog, dependencies=[NeedsRead])
def list_models(request: Request, driver: DriverDep, settings: SettingsDep) -> Catalog:
    """The rate card in force now for every model."""
    catalog = _catalog(request, driver, settings)
    return Catalog(models=[card_to_dict(c) for c in catalog.current(datetime.now(UTC))])


@router.get("/models/{model_id}", response_model=ModelVersions, dependencies=[NeedsRead])
def get_model(
    model_id: str, request: Request, driver: DriverDep, settings: SettingsDep
) -> ModelVersions:
    """Every price version of a model (an alias or dated id also finds it), oldest first."""
    catalog = _catalog(request, driver, settings)
    known = catalog.resolve(model_id)
    if known is None:
        close = catalog.closest(model_id)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise NotFound(f"no model {model_id!r}{hint}")
    versions = catalog.versions(known)
    return ModelVersions(
        id=known, provider=versions[-1].provider, versions=[card_to_dict(c) for c in versions]
    )


@router.put("/models/{model_id}", response_model=ModelVersions, dependencies=[NeedsAdmin])
def put_model(
    model_id: str,
    card: Annotated[dict[str, Any], Body()],
    request: Request,
    driver: DriverDep,
    settings: SettingsDep,
) -> ModelVersions:
    """Add a price version (`effective_from` required); earlier versions stay as they were."""
    if "effective_from" not in card:
        raise InvalidInput("effective_from: required; a new price starts at a stated time")
    try:
        parsed = card_from_dict({**card, "id": card.get("id", model_id)})
    except PricingError as exc:
        raise InvalidInput(str(exc)) from exc
    if parsed.model_id != model_id:
        raise InvalidInput(f"id: {parsed.model_id!r} differs from the path's {model_id!r}")
    current = _catalog(request, driver, settings)
    same_start = [c for c in current.versions(model_id) if c.version == parsed.version]
    if same_start:
        if card_to_dict(same_start[0]) != card_to_dict(parsed):
            raise Conflict(
                f"price version {parsed.version} exists with other rates; a new price needs a "
                "new effective_from"
            )
        return get_model(model_id, request, driver, settings)
    accepted, refused = store.mergeable(current, [parsed])
    if refused:
        raise InvalidInput(refused[0])
    with driver.session(database=settings.neo4j_database) as session:
        write_tx(session, store.add_prices, accepted)
    request.app.state.catalog.invalidate()
    return get_model(model_id, request, driver, settings)


@router.post("/import", response_model=ImportResult, dependencies=[NeedsAdmin])
def import_litellm(
    price_map: Annotated[dict[str, Any], Body()],
    request: Request,
    driver: DriverDep,
    settings: SettingsDep,
    effective_from: datetime | None = None,
) -> ImportResult:
    """Import a LiteLLM `model_prices_and_context_window.json`; its prices start now
    (or at `effective_from`). A version that exists unchanged is skipped."""
    start = effective_from or datetime.now(UTC)
    if start.utcoffset() is None:
        raise InvalidInput("effective_from: needs a timezone offset")
    result = import_cards(
        driver, settings.neo4j_database, _catalog(request, driver, settings), price_map, start
    )
    request.app.state.catalog.invalidate()
    return result


def import_cards(
    driver: Any,
    database: str | None,
    current: RateCatalog,
    price_map: dict[str, Any],
    start: datetime,
) -> ImportResult:
    cards, skipped = cards_from_litellm(price_map, start)
    accepted, refused = store.mergeable(current, cards)
    with driver.session(database=database) as session:
        created = write_tx(session, store.add_prices, accepted, strict=False)
    return ImportResult(created=len(created), versions=created, skipped=skipped + refused)
