// name: all_prices
// purpose: every price version as its stored rate card (JSON text), oldest first per model
// params: none
// example: paste into cypher-shell as is
MATCH (price:Price)
RETURN price.card AS card
ORDER BY price.model_id, price.effective_from
