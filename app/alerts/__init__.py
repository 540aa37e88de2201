"""Alerts: threshold, anomaly and forecast alerts on budgets, and their delivery channels."""
