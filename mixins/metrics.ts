/**
 * The gateway's own Prometheus metrics, beside the ones Moleculer keeps (`moleculer_request_*`,
 * `moleculer_cacher_*`, `process_*`). Every name is a constant with a line on what it measures;
 * the set is registered once per broker and fed only through the helpers below, so label
 * values stay bounded: route templates and fixed words, never raw paths, ids or organizations.
 */
import type { ServiceBroker } from "moleculer";

/** Seconds from a request's arrival to the end of its response; by method, route, status_code. */
export const METRIC_HTTP_REQUEST_DURATION = "http_request_duration_seconds";
/** HTTP requests answered; by method, route (the template, `/v1/…/:id`) and status_code. */
export const METRIC_HTTP_REQUESTS_TOTAL = "http_requests_total";
/**
 * Connections open now; type `rest` (HTTP sockets),
 * `graphql` (graphql-ws), `websocket` (socket.io).
 */
export const METRIC_ACTIVE_CONNECTIONS = "active_connections";
/** Webhook delivery attempts finished; by outcome (see `DeliveryOutcome`). */
export const METRIC_WEBHOOK_DELIVERIES_TOTAL = "webhook_deliveries_total";
/** Seconds one webhook delivery attempt took, request sent to answer or failure; by outcome. */
export const METRIC_WEBHOOK_DELIVERY_DURATION = "webhook_delivery_duration_seconds";
/** Messages a channel's consumer group has not acknowledged yet (pending plus unread). */
export const METRIC_CHANNEL_BACKLOG = "channel_backlog";
/** Requests refused with 429; by surface (`rest`, `graphql`, `websocket`). */
export const METRIC_RATE_LIMIT_REJECTIONS_TOTAL = "rate_limit_rejections_total";
/** Cache lookups answered from the cache; by cache (a fixed name such as `idempotency`). */
export const METRIC_CACHE_HITS_TOTAL = "cache_hits_total";
/** Cache lookups that had to go to the source; by cache. */
export const METRIC_CACHE_MISSES_TOTAL = "cache_misses_total";

/** The `route` label of a request no route matched (404s, 405s, scans). */
export const ROUTE_UNMATCHED = "unmatched";
/** The `route` label of a file served from `public/`. */
export const ROUTE_STATIC = "static";

export type ConnectionType = "rest" | "graphql" | "websocket";
export const CONNECTION_TYPES: readonly ConnectionType[] = ["rest", "graphql", "websocket"];

/**
 * What became of one delivery attempt: delivered (2xx), to be retried, dead after its last
 * attempt, endpoint disabled by a 410, or refused before sending (private address).
 */
export type DeliveryOutcome = "success" | "retry" | "dead" | "disabled" | "refused";

/** Buckets in seconds for request latency: 5 ms to 10 s, as Prometheus clients default to. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A delivery may take up to the contract's 15 s before it counts as failed. */
const DELIVERY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** HTTP methods reported by name; anything else a client invents is `other`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

interface MetricDefinition {
	name: string;
	type: "counter" | "gauge" | "histogram";
	description: string;
	labelNames: string[];
	buckets?: number[];
}

const DEFINITIONS: MetricDefinition[] = [
	{
		name: METRIC_HTTP_REQUEST_DURATION,
		type: "histogram",
		description: "Duration of HTTP requests in seconds",
		labelNames: ["method", "route", "status_code"],
		buckets: LATENCY_BUCKETS,
	},
	{
		name: METRIC_HTTP_REQUESTS_TOTAL,
		type: "counter",
		description: "Total number of HTTP requests",
		labelNames: ["method", "route", "status_code"],
	},
	{
		name: METRIC_ACTIVE_CONNECTIONS,
		type: "gauge",
		description: "Number of active connections",
		labelNames: ["type"],
	},
	{
		name: METRIC_WEBHOOK_DELIVERIES_TOTAL,
		type: "counter",
		description: "Webhook delivery attempts by outcome",
		labelNames: ["outcome"],
	},
	{
		name: METRIC_WEBHOOK_DELIVERY_DURATION,
		type: "histogram",
		description: "Duration of webhook delivery attempts in seconds",
		labelNames: ["outcome"],
		buckets: DELIVERY_BUCKETS,
	},
	{
		name: METRIC_CHANNEL_BACKLOG,
		type: "gauge",
		description: "Messages not yet acknowledged by a channel's consumer group",
		labelNames: ["channel", "group"],
	},
	{
		name: METRIC_RATE_LIMIT_REJECTIONS_TOTAL,
		type: "counter",
		description: "Requests refused by the rate limiter",
		labelNames: ["surface"],
	},
	{
		name: METRIC_CACHE_HITS_TOTAL,
		type: "counter",
		description: "Cache lookups answered from the cache",
		labelNames: ["cache"],
	},
	{
		name: METRIC_CACHE_MISSES_TOTAL,
		type: "counter",
		description: "Cache lookups that missed",
		labelNames: ["cache"],
	},
];

/** Registers the metrics above on `broker`; a second call changes nothing. */
export function registerMetrics(broker: ServiceBroker): void {
	for (const def of DEFINITIONS) {
		if (broker.metrics.hasMetric(def.name)) continue;
		// Quantiles off: Prometheus computes them from buckets, and the text format has no
		// place for both in one histogram.
		broker.metrics.register({ ...def, quantiles: false });
	}
}

/** The registry, with our metrics in it; null when metrics are turned off. */
function registry(broker: ServiceBroker): ServiceBroker["metrics"] | null {
	if (!broker.isMetricsEnabled()) return null;
	if (!broker.metrics.hasMetric(METRIC_HTTP_REQUESTS_TOTAL)) registerMetrics(broker);

	return broker.metrics;
}

/** Labels the gauge of every connection type with 0, so dashboards see all three at once. */
export function initConnectionGauges(broker: ServiceBroker): void {
	const metrics = registry(broker);
	for (const type of CONNECTION_TYPES) metrics?.increment(METRIC_ACTIVE_CONNECTIONS, { type }, 0);
}

export function connectionOpened(broker: ServiceBroker, type: ConnectionType): void {
	registry(broker)?.increment(METRIC_ACTIVE_CONNECTIONS, { type });
}

export function connectionClosed(broker: ServiceBroker, type: ConnectionType): void {
	registry(broker)?.decrement(METRIC_ACTIVE_CONNECTIONS, { type });
}

export interface HttpRequestLabels {
	method: string;
	/** The route template (`/v1/organizations/:org_id/customers`), or a ROUTE_* word. */
	route: string;
	status: number;
}

export function httpRequestFinished(
	broker: ServiceBroker,
	request: HttpRequestLabels,
	seconds: number,
): void {
	const metrics = registry(broker);
	if (!metrics) return;
	const labels = {
		method: METHODS.has(request.method) ? request.method : "other",
		route: request.route,
		status_code: String(request.status),
	};
	metrics.increment(METRIC_HTTP_REQUESTS_TOTAL, labels);
	metrics.observe(METRIC_HTTP_REQUEST_DURATION, seconds, labels);
}

/** One delivery attempt ended; `seconds` is the time it took. */
export function webhookDeliveryFinished(
	broker: ServiceBroker,
	outcome: DeliveryOutcome,
	seconds: number,
): void {
	const metrics = registry(broker);
	metrics?.increment(METRIC_WEBHOOK_DELIVERIES_TOTAL, { outcome });
	metrics?.observe(METRIC_WEBHOOK_DELIVERY_DURATION, seconds, { outcome });
}

/** The latest backlog of `channel` for consumer `group` (set it when sampled, not per message). */
export function setChannelBacklog(
	broker: ServiceBroker,
	channel: string,
	group: string,
	messages: number,
): void {
	registry(broker)?.set(METRIC_CHANNEL_BACKLOG, messages, { channel, group });
}

export function rateLimitRejected(broker: ServiceBroker, surface: ConnectionType): void {
	registry(broker)?.increment(METRIC_RATE_LIMIT_REJECTIONS_TOTAL, { surface });
}

/** `cache` is a fixed name per cache (`idempotency`, `responses`), never a key. */
export function cacheLookup(broker: ServiceBroker, cache: string, hit: boolean): void {
	registry(broker)?.increment(hit ? METRIC_CACHE_HITS_TOTAL : METRIC_CACHE_MISSES_TOTAL, {
		cache,
	});
}
