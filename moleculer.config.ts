/**
 * Broker options, built from the validated configuration (models/config.ts). The embedded
 * default is one process with no transporter and a memory cacher; TRANSPORTER, CACHER and
 * NAMESPACE make it one node of a cluster.
 */
import os from "node:os";
import { Middleware as ChannelsMiddleware } from "@moleculer/channels";
import type { BrokerOptions, GenericObject, MetricsReporterOptions, Middleware } from "moleculer";
import pino from "pino";
import { type Config, config } from "./models/config";
import { registerMetrics } from "./mixins/metrics";
import { PrometheusReporter } from "./mixins/prometheus-reporter";
import ErrorReporterMiddleware from "./mixins/error-reporter.middleware";
import ShutdownMiddleware from "./mixins/shutdown.middleware";
import SlowActionsMiddleware from "./mixins/slow-actions.middleware";
import { tracingOptions } from "./mixins/tracing";
import { VALIDATOR_MESSAGES } from "./models/validator-messages";

/** Channel messages one node handles at once (the adapters' default, 1, caps a node near 650/s). */
export const CHANNEL_MAX_IN_FLIGHT = 100;

/** A channel message unacknowledged this long is taken from its consumer by another (see below). */
export const CHANNEL_MIN_IDLE_MS = 60_000;

/**
 * The channels adapter: Redis Streams with consumer groups when CHANNELS_URL is set (nodes share
 * the messages, each handled by one), else in-process. Streams are named `<NAMESPACE>.<channel>`
 * so clusters sharing one Redis never read each other's messages. Channels only carry "do this
 * now" nudges: the work itself, its retries and its dead letters live in the store (see the
 * webhook-deliveries service), so the Redis adapter's own redelivery (after `minIdleTime`) and
 * its dropping after `maxRetries` are a backstop at most, never the source of truth.
 */
function channelsAdapter(settings: Config): { type: string; options: Record<string, unknown> } {
	const common = { prefix: settings.namespace, maxInFlight: CHANNEL_MAX_IN_FLIGHT };
	if (!settings.channelsUrl) return { type: "Fake", options: common };

	return {
		type: "Redis",
		options: {
			...common,
			redis: {
				url: settings.channelsUrl,
				consumerOptions: {
					// A group created after messages were added
					// still reads them (default "$" would not).
					startID: "0",
					// Handlers always acknowledge, so an entry pending this long belongs to a
					// consumer that died holding it; another then claims it (XAUTOCLAIM). The
					// adapter's default is 1 h, which leaves a dead worker's entries in the backlog
					// all that time. Shorter risks claiming from a live worker still on its batch
					// (claim, 2 s for a slot, a 15 s POST, the outcome): harmless, as the store
					// refuses a second claim under one lease, but wasted work. The delivery itself
					// is re-sent by the store (its lease), not by this; see webhook-deliveries.
					minIdleTime: CHANNEL_MIN_IDLE_MS,
					claimInterval: 5_000,
				},
			},
		},
	};
}

type ChannelsOptions = Parameters<typeof ChannelsMiddleware>[0];

function channelsMiddleware(settings: Config): Middleware {
	// The package's typings demand every option (of every adapter) at once, and its middleware's
	// `name` clashes with Moleculer's hook signatures; the package fills its own defaults.
	const options = { adapter: channelsAdapter(settings) } as unknown as ChannelsOptions;

	return ChannelsMiddleware(options) as unknown as Middleware;
}

export interface NodeOptions {
	/** Command-line tools keep stdout for their result and log to stderr. */
	logToStderr?: boolean;
	/** moleculer-repl's custom commands, for a node that opens the REPL. */
	replCommands?: GenericObject[];
}

function nodeIdOf(settings: Config): string {
	return settings.nodeId ?? `${os.hostname()}-${process.pid}`;
}

export function brokerOptions(settings: Config = config(), node: NodeOptions = {}): BrokerOptions {
	return {
		namespace: settings.namespace,
		nodeID: nodeIdOf(settings),
		transporter: settings.transporter ?? null,
		cacher:
			settings.cacher === "memory"
				? { type: "Memory", options: { ttl: 300, clone: false } }
				: settings.cacher,
		serializer: "JSON",

		logger: {
			type: "Pino",
			options: {
				level: settings.logLevel,
				pino: {
					options: {
						// Credentials never reach a log line, even
						// when an object holding them is logged.
						redact: {
							paths: [
								"*.authorization",
								"*.password",
								"*.token",
								"*.secret",
								"*.key",
								"*.api_key",
								"*.cookie",
								"*.refresh_token",
								"*.access_token",
							],
							censor: "[redacted]",
						},
					},
					destination: node.logToStderr ? pino.destination(2) : null,
				},
			},
		},
		logLevel: settings.logLevel,

		// A call that outlives this is answered 503 by the gateway; the client may retry.
		requestTimeout: settings.requestTimeoutMs,
		// Retries would repeat writes on a timeout;
		// idempotency is the client's tool (Idempotency-Key).
		retryPolicy: {
			enabled: false,
			retries: 0,
			delay: 100,
			maxDelay: 1000,
			factor: 2,
			check: (err) => Boolean((err as { retryable?: boolean }).retryable),
		},
		// A node failing half its calls in 10 s is skipped for 10 s rather than hammered.
		circuitBreaker: {
			enabled: true,
			threshold: 0.5,
			minRequestCount: 20,
			windowTime: 10,
			halfOpenTime: 10_000,
		},
		// Bounds what one node queues when a downstream is slow, so overload sheds as 503s.
		bulkhead: { enabled: true, concurrency: 100, maxQueueSize: 1000 },
		contextParamsCloning: false,
		maxCallLevel: 20,
		heartbeatInterval: 5,
		heartbeatTimeout: 15,
		// In-flight requests get this long to finish on SIGTERM before the node stops.
		tracking: { enabled: true, shutdownTimeout: settings.shutdownTimeoutMs },
		registry: { strategy: "RoundRobin", preferLocal: true },
		validator: { type: "Fastest", options: { messages: VALIDATOR_MESSAGES } },
		errorHandler: undefined,

		// The registry always counts (the REPL reads it); METRICS_PORT=0 only turns off /metrics.
		metrics: {
			enabled: true,
			collectProcessMetrics: true,
			reporter: settings.metricsPort === 0 ? null : prometheusReporter(settings),
		},
		tracing: tracingOptions(settings),

		middlewares: [
			ShutdownMiddleware,
			SlowActionsMiddleware(settings.slowActionMs),
			ErrorReporterMiddleware({ dsn: settings.sentryDsn, environment: settings.nodeEnv }),
			channelsMiddleware(settings),
		],
		created: registerMetrics,
		replCommands: node.replCommands ?? null,
		replDelimiter: "mantis $",
	};
}

/** `/metrics` on METRICS_PORT, every sample labelled with the namespace and node. */
function prometheusReporter(settings: Config): MetricsReporterOptions {
	const reporter = new PrometheusReporter({
		port: settings.metricsPort,
		host: settings.host,
		path: "/metrics",
		// Command lines, addresses and user names say nothing about health and need not leave.
		excludes: ["process.arguments", "os.network.*", "os.user.*"],
		defaultLabels: () => ({ namespace: settings.namespace, node_id: nodeIdOf(settings) }),
	});

	// Moleculer also takes a reporter instance (its resolver checks the class), though its
	// typings list only names and option objects.
	return reporter as unknown as MetricsReporterOptions;
}

export default brokerOptions;
