// name: list_deliveries
// purpose: the delivery log, newest first
// params: $limit
// example: :param limit => 50
MATCH (d:Delivery)
RETURN d {.*} AS delivery
ORDER BY d.at DESC
LIMIT $limit
