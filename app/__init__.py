"""Costgraph: graph-backed cost attribution for AI agent fleets."""

__version__ = "0.1.0"
