"""Service settings, read once from the environment (prefix COSTGRAPH_) and .env."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_NEO4J_VERSION = "5.26.31"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COSTGRAPH_", env_file=".env", extra="ignore")

    # An external Neo4j (Aura, a cluster, docker compose). Unset: the embedded default.
    neo4j_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_URI", "COSTGRAPH_NEO4J_URI")
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "COSTGRAPH_NEO4J_USER")
    )
    neo4j_password: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("NEO4J_PASSWORD", "COSTGRAPH_NEO4J_PASSWORD"),
    )
    neo4j_database: str | None = None

    data_dir: Path = Path(".costgraph")
    cache_dir: Path = Path.home() / ".cache" / "costgraph"
    neo4j_version: str = DEFAULT_NEO4J_VERSION
    neo4j_heap: str = "512m"
    neo4j_pagecache: str = "64m"
    neo4j_bolt_port: int | None = None  # None: a free loopback port, remembered in the data dir
    neo4j_start_timeout_s: float = 120.0

    bootstrap_admin_key: SecretStr | None = None
    auth_enabled: bool = True
    log_level: str = "INFO"
    max_batch_events: int = 10_000
    reservation_ttl_s: int = 600
    platform_id: str = "default"
    # How often `serve` rolls new usage into the per-day sums the reports read (0: never).
    rollup_interval_s: float = 300.0
    # How often `serve` compacts old usage (0: never; `costgraph compact` does it by hand):
    # usage older than retention_usage_days becomes per-day sums, and per-day sums older
    # than retention_daily_days per-month sums.
    compact_interval_s: float = 86_400.0
    retention_usage_days: int = Field(default=90, ge=1)
    retention_daily_days: int = Field(default=365, ge=2)
    # `serve --workers N` sets this to a folder of lock files under data_dir: the writers of
    # its processes take turns, and one of the processes runs the upkeep jobs.
    host_lock_dir: Path | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()
