// name: log_delivery
// purpose: record one attempt to deliver an alert or event to a channel (the delivery log)
// params: $entry (map: id, topic, channel, target, attempt, ok, status, error, alert_id)
// example: :param entry => {id: 'dlv_1', topic: 'budget.warning', channel: 'webhook',
//            target: 'https://example.org/hook', attempt: 1, ok: true, status: 200, error: null, alert_id: 'alr_1'}
CREATE (d:Delivery)
SET d = $entry, d.at = datetime()
RETURN d.id AS id
