"""Dependencies routes declare, so a handler reads like a sentence."""

from __future__ import annotations

from typing import Annotated

import neo4j
from fastapi import Depends, Request

from app.settings import Settings


def get_driver(request: Request) -> neo4j.Driver:
    driver: neo4j.Driver = request.app.state.driver
    return driver


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DriverDep = Annotated[neo4j.Driver, Depends(get_driver)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
