"""Agents, their lineage and outcomes, and the evolution read side over HTTP."""
