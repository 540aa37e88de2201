"""Pricing: versioned rate cards, the pricing rule, the default catalog and LiteLLM import."""
