/**
 * The socket service's part of `active_connections{type="websocket"}`; the gauge and its
 * names live with the other metrics in mixins/metrics.ts.
 */
import type { ServiceBroker } from "moleculer";
import {
	connectionClosed,
	connectionOpened,
	METRIC_ACTIVE_CONNECTIONS,
} from "../../mixins/metrics";

/** Gauge of open client connections, labelled by protocol. */
export const ACTIVE_CONNECTIONS = METRIC_ACTIVE_CONNECTIONS;

export function countConnection(broker: ServiceBroker, delta: 1 | -1): void {
	if (delta > 0) connectionOpened(broker, "websocket");
	else connectionClosed(broker, "websocket");
}
