/**
 * Broker options, built from the validated configuration (models/config.ts). The embedded
 * default is one process with no transporter and a memory cacher; TRANSPORTER, CACHER and
 * NAMESPACE make it one node of a cluster.
 */
import os from "node:os";
import type { BrokerOptions } from "moleculer";
import pino from "pino";
import { type Config, config } from "./models/config";

export interface NodeOptions {
	/** Command-line tools keep stdout for their result and log to stderr. */
	logToStderr?: boolean;
}

export function brokerOptions(settings: Config = config(), node: NodeOptions = {}): BrokerOptions {
	return {
		namespace: settings.namespace,
		nodeID: settings.nodeId ?? `${os.hostname()}-${process.pid}`,
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
						// Credentials never reach a log line, even when an object holding them is logged.
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
		// Retries would repeat writes on a timeout; idempotency is the client's tool (Idempotency-Key).
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
		tracking: { enabled: true, shutdownTimeout: 10_000 },
		registry: { strategy: "RoundRobin", preferLocal: true },
		validator: true,
		errorHandler: undefined,

		metrics: { enabled: false },
		tracing: { enabled: false },
	};
}

export default brokerOptions;
