// name: add_prices
// purpose: add price versions (a new price is a new node, never an edit) and link them to their model and provider
// params: $cards: list of {version, model_id, provider, aliases, mode, effective_from (datetime),
//         card (the rate card as JSON text), rates: map of <rate>_nanos_per_mtok integers}
// example: :param cards => [{version: 'm@2025-01-01T00:00:00Z', model_id: 'm', provider: 'p', aliases: [],
//            mode: 'chat', effective_from: datetime('2025-01-01T00:00:00Z'), card: '{}', rates: {}}]
UNWIND $cards AS card
MERGE (price:Price {version: card.version})
ON CREATE SET price += card.rates,
              price.model_id = card.model_id,
              price.effective_from = card.effective_from,
              price.card = card.card,
              price.created_at = datetime(),
              price.new = true
WITH card, price, coalesce(price.new, false) AS created
REMOVE price.new
MERGE (provider:Provider {id: card.provider})
MERGE (model:Model {id: card.model_id})
SET model.aliases = card.aliases, model.mode = card.mode
MERGE (model)-[:OFFERED_BY]->(provider)
MERGE (price)-[:PRICES]->(model)
RETURN card.version AS version, created, price.card = card.card AS same
