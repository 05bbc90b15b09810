/**
 * `active_connections{type="websocket"}` (contract: metrics). Registered on first use and only
 * when the broker collects metrics; another service may register the same gauge for its own
 * protocol, so an existing one is reused rather than replaced.
 */
import { METRIC, type ServiceBroker } from "moleculer";

/** Gauge of open client connections, labelled by protocol. */
export const ACTIVE_CONNECTIONS = "active_connections";

export function countConnection(broker: ServiceBroker, delta: 1 | -1): void {
	if (!broker.isMetricsEnabled()) return;
	if (!broker.metrics.hasMetric(ACTIVE_CONNECTIONS)) {
		broker.metrics.register({
			type: METRIC.TYPE_GAUGE,
			name: ACTIVE_CONNECTIONS,
			labelNames: ["type"],
			description: "Open client connections by protocol",
		});
	}
	broker.metrics.increment(ACTIVE_CONNECTIONS, { type: "websocket" }, delta);
}
