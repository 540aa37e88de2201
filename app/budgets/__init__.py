"""Budgets: hierarchical spend limits, their windows, pre-flight checks and the limits config."""
