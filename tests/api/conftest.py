from __future__ import annotations

from collections.abc import Iterator

import neo4j
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def client(graph: neo4j.Driver, test_settings: Settings) -> Iterator[TestClient]:
    """The HTTP surface on an empty graph, authenticated as the bootstrap admin."""
    app = create_app(test_settings, driver=graph)
    with TestClient(app, headers={"Authorization": "Bearer test-admin-key"}) as http:
        yield http
