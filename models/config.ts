/**
 * The gateway's configuration: every environment variable it reads, described once with its
 * default, its parser and whether it is sensitive. Services read `broker.options` or their
 * own settings built from this object; nothing else in the project touches `process.env`.
 */
import path from "node:path";

export type Plan = "free" | "pro" | "enterprise";

export interface Config {
	port: number;
	host: string;
	nodeId: string | undefined;
	nodeEnv: "development" | "production" | "test";
	logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
	transporter: string | undefined;
	services: string[] | undefined;
	namespace: string;
	dataDir: string;
	mongoUri: string | undefined;
	cacher: string;
	channelsUrl: string | undefined;
	redisUrl: string | undefined;
	jwtIssuer: string;
	jwtPrivateKey: string | undefined;
	metricsPort: number;
	webhookAllowPrivate: boolean;
	requestTimeoutMs: number;
	headersTimeoutMs: number;
	httpRequestTimeoutMs: number;
	keepAliveTimeoutMs: number;
	maxBodyBytes: number;
	maxBulkBodyBytes: number;
	bulkMaxItems: number;
	anonymousRateLimitPerHour: number;
	cacheTtlSeconds: number;
	slowActionMs: number;
	trustProxy: boolean;
	publicUrl: string | undefined;
	sentryDsn: string | undefined;
	tracingExporter: TracingExporter;
	tracingUrl: string;
	shutdownTimeoutMs: number;
	schedulerIntervalMs: number;
	documentSigningKey: string | undefined;
	socketConnectionsPerCredential: number;
	socketMessagesPerSecond: number;
	graphqlSubscriptionsPerSocket: number;
}

/** Where finished trace spans go: nowhere, the log, or a Zipkin-format collector. */
export type TracingExporter = "none" | "console" | "zipkin";

/** A configuration value that cannot be used; start-up prints the message and exits. */
export class ConfigError extends Error {
	constructor(variable: string, problem: string) {
		super(`Invalid configuration: ${variable} ${problem}`);
		this.name = "ConfigError";
	}
}

type Env = Record<string, string | undefined>;

interface Variable<T> {
	/** What the variable does, for the README table and `--help` output. */
	description: string;
	/** Secrets are never printed, not even in a start-up error. */
	sensitive?: boolean;
	parse(raw: string | undefined, name: string, env: Env): T;
}

function text(fallback: string): (raw: string | undefined) => string {
	return (raw) => (raw === undefined || raw === "" ? fallback : raw);
}

function optional(raw: string | undefined): string | undefined {
	return raw === undefined || raw === "" ? undefined : raw;
}

function integer(fallback: number, min: number, max: number) {
	return (raw: string | undefined, name: string): number => {
		if (raw === undefined || raw === "") return fallback;
		const value = Number(raw);
		if (!Number.isInteger(value) || value < min || value > max) {
			throw new ConfigError(
				name,
				`must be a whole number from ${min} to ${max} (got "${raw}")`,
			);
		}

		return value;
	};
}

function oneOf<T extends string>(fallback: T, allowed: readonly T[]) {
	return (raw: string | undefined, name: string): T => {
		if (raw === undefined || raw === "") return fallback;
		if (!allowed.includes(raw as T)) {
			throw new ConfigError(name, `must be one of ${allowed.join(", ")} (got "${raw}")`);
		}

		return raw as T;
	};
}

function flag(raw: string | undefined, name: string): boolean {
	if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
	if (raw === "true" || raw === "1") return true;
	throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

/**
 * A URL whose scheme is one of `schemes`; the value is never echoed since it may hold a password.
 */
function url(schemes: string[]) {
	return (raw: string | undefined, name: string): string | undefined => {
		if (raw === undefined || raw === "") return undefined;
		let parsed: URL;
		try {
			parsed = new URL(raw);
		} catch {
			throw new ConfigError(name, `must be a URL starting with ${schemes.join(" or ")}`);
		}
		if (!schemes.includes(parsed.protocol.replace(/:$/, ""))) {
			throw new ConfigError(
				name,
				`must start with ${schemes.map((s) => `${s}://`).join(" or ")}`,
			);
		}

		return raw;
	};
}

const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;

/** Every variable the gateway reads, in the order the README documents them. */
export const VARIABLES: { [K in keyof Config]: Variable<Config[K]> & { env: string } } = {
	port: { env: "PORT", description: "HTTP port of the gateway", parse: integer(3000, 0, 65535) },
	host: { env: "HOST", description: "address the gateway binds", parse: text("0.0.0.0") },
	nodeId: {
		env: "NODE_ID",
		description: "broker node id (default: host name and pid)",
		parse: optional,
	},
	nodeEnv: {
		env: "NODE_ENV",
		description:
			"development, production or test; production hides introspection and needs https " +
			"webhooks",
		parse: oneOf("development", ["development", "production", "test"] as const),
	},
	logLevel: {
		env: "LOG_LEVEL",
		description: "fatal, error, warn, info, debug or trace",
		parse: oneOf("info", ["fatal", "error", "warn", "info", "debug", "trace"] as const),
	},
	transporter: {
		env: "TRANSPORTER",
		description: "redis://… or nats://…; unset runs everything in one process",
		sensitive: true,
		parse: url(["redis", "rediss", "nats", "tls"]),
	},
	services: {
		env: "SERVICES",
		description: "comma list of services this node runs (api, io, customers, …); unset = all",
		parse(raw, name) {
			if (raw === undefined || raw.trim() === "") return undefined;
			const names = raw
				.split(",")
				.map((s) => s.trim())
				.filter(Boolean);
			const bad = names.find((n) => !SERVICE_NAME.test(n));
			if (bad) throw new ConfigError(name, `has an invalid service name "${bad}"`);

			return names;
		},
	},
	namespace: { env: "NAMESPACE", description: "Moleculer namespace", parse: text("mantis") },
	dataDir: {
		env: "DATA_DIR",
		description: "NeDB files, uploaded documents and generated keys",
		parse: (raw) => path.resolve(raw === undefined || raw === "" ? "./data" : raw),
	},
	mongoUri: {
		env: "MONGO_URI",
		description: "MongoDB instead of NeDB (data services may then run in several copies)",
		sensitive: true,
		parse: url(["mongodb", "mongodb+srv"]),
	},
	cacher: {
		env: "CACHER",
		description: "memory or redis://…",
		sensitive: true,
		parse(raw, name) {
			if (raw === undefined || raw === "" || raw === "memory") return "memory";

			return url(["redis", "rediss"])(raw, name) as string;
		},
	},
	channelsUrl: {
		env: "CHANNELS_URL",
		description: "redis://… for webhook delivery on Redis Streams; unset = in-process",
		sensitive: true,
		parse: url(["redis", "rediss"]),
	},
	redisUrl: {
		env: "REDIS_URL",
		description: "redis://… shared by all nodes for rate limits and idempotency keys",
		sensitive: true,
		parse: url(["redis", "rediss"]),
	},
	jwtIssuer: {
		env: "JWT_ISSUER",
		description: "iss of access tokens (default: http://localhost:PORT)",
		parse: (raw, _name, env) => optional(raw) ?? `http://localhost:${env.PORT || 3000}`,
	},
	jwtPrivateKey: {
		env: "JWT_PRIVATE_KEY",
		description: "PEM private key signing access tokens; unset = generated once into DATA_DIR",
		sensitive: true,
		parse(raw, name) {
			if (raw === undefined || raw === "") return undefined;
			if (!raw.includes("PRIVATE KEY-----"))
				throw new ConfigError(name, "must be a PEM private key");

			return raw.replace(/\\n/g, "\n");
		},
	},
	metricsPort: {
		env: "METRICS_PORT",
		description: "port of the Prometheus /metrics endpoint (0 turns it off)",
		parse: integer(3030, 0, 65535),
	},
	webhookAllowPrivate: {
		env: "WEBHOOK_ALLOW_PRIVATE",
		description: "true lets webhooks reach loopback and private addresses",
		parse: flag,
	},
	requestTimeoutMs: {
		env: "REQUEST_TIMEOUT_MS",
		description: "broker request timeout; a call still running then is 503",
		parse: integer(10000, 100, 600000),
	},
	headersTimeoutMs: {
		env: "HEADERS_TIMEOUT_MS",
		description: "a client must have sent its request headers within this (slow-loris guard)",
		parse: integer(10_000, 1000, 600_000),
	},
	httpRequestTimeoutMs: {
		env: "HTTP_REQUEST_TIMEOUT_MS",
		description: "a client must have sent its whole request (headers and body) within this",
		parse: integer(60_000, 1000, 3_600_000),
	},
	keepAliveTimeoutMs: {
		env: "KEEP_ALIVE_TIMEOUT_MS",
		description: "an idle keep-alive connection is closed after this",
		parse: integer(5000, 100, 600_000),
	},
	maxBodyBytes: {
		env: "MAX_BODY_BYTES",
		description: "largest JSON body on ordinary routes; larger is 413",
		parse: integer(1024 * 1024, 1024, 1024 * 1024 * 1024),
	},
	maxBulkBodyBytes: {
		env: "MAX_BULK_BODY_BYTES",
		description: "largest body on bulk and import routes; larger is 413",
		parse: integer(50 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
	},
	bulkMaxItems: {
		env: "BULK_MAX_ITEMS",
		description: "most items one bulk request may carry",
		parse: integer(1000, 1, 100_000),
	},
	anonymousRateLimitPerHour: {
		env: "ANONYMOUS_RATE_LIMIT_PER_HOUR",
		description:
			"requests per hour per client address without a valid credential (sign-in, refused " +
			"requests)",
		parse: integer(300, 1, 10_000_000),
	},
	cacheTtlSeconds: {
		env: "CACHE_TTL_SECONDS",
		description:
			"how long read results stay in the cacher (writes invalidate them at once); 0 = off",
		parse: integer(300, 0, 86_400),
	},
	slowActionMs: {
		env: "SLOW_ACTION_MS",
		description: "actions slower than this are logged at warn",
		parse: integer(1000, 1, 600000),
	},
	trustProxy: {
		env: "TRUST_PROXY",
		description: "true trusts X-Forwarded-For from the peer (only behind your own proxy)",
		parse: flag,
	},
	publicUrl: {
		env: "PUBLIC_URL",
		description:
			"the gateway's public base URL, for links it hands out (default: from the request)",
		parse: url(["http", "https"]),
	},
	sentryDsn: {
		env: "SENTRY_DSN",
		description: "report internal (500) errors to Sentry, scrubbed of credentials",
		sensitive: true,
		parse: url(["http", "https"]),
	},
	tracingExporter: {
		env: "TRACING_EXPORTER",
		description:
			"none, console (spans in the log) or zipkin (to TRACING_URL; Jaeger and Tempo " +
			"accept it)",
		parse: oneOf("none", ["none", "console", "zipkin"] as const),
	},
	tracingUrl: {
		env: "TRACING_URL",
		description: "base URL of the Zipkin-format span collector",
		parse: (raw, name) => url(["http", "https"])(raw, name) ?? "http://127.0.0.1:9411",
	},
	shutdownTimeoutMs: {
		env: "SHUTDOWN_TIMEOUT_MS",
		description: "on SIGTERM, in-flight requests and deliveries get this long to finish",
		parse: integer(10000, 0, 600000),
	},
	schedulerIntervalMs: {
		env: "SCHEDULER_INTERVAL_MS",
		description: "how often overdue invoices and expired quotes are looked for",
		parse: integer(60_000, 100, 86_400_000),
	},
	documentSigningKey: {
		env: "DOCUMENT_SIGNING_KEY",
		description:
			"secret (32+ characters) signing document share links; unset = generated once into " +
			"DATA_DIR",
		sensitive: true,
		parse(raw, name) {
			if (raw === undefined || raw === "") return undefined;
			if (raw.length < 32) throw new ConfigError(name, "must be at least 32 characters");

			return raw;
		},
	},
	socketConnectionsPerCredential: {
		env: "SOCKET_CONNECTIONS_PER_CREDENTIAL",
		description: "socket.io connections one API key or session may hold open on one node",
		parse: integer(50, 1, 100_000),
	},
	socketMessagesPerSecond: {
		env: "SOCKET_MESSAGES_PER_SECOND",
		description: "messages a socket may send per second; more are refused with RATE_LIMITED",
		parse: integer(20, 1, 10_000),
	},
	graphqlSubscriptionsPerSocket: {
		env: "GRAPHQL_SUBSCRIPTIONS_PER_SOCKET",
		description: "operations one graphql-ws socket may run at once; more are refused",
		parse: integer(100, 1, 10_000),
	},
};

/**
 * Reads and validates the whole configuration; throws `ConfigError` naming the first bad variable.
 */
export function loadConfig(env: Env = process.env): Config {
	const entries = Object.entries(VARIABLES).map(([key, variable]) => [
		key,
		variable.parse(env[variable.env], variable.env, env),
	]);

	return Object.fromEntries(entries) as Config;
}

let cached: Config | undefined;

/** The process-wide configuration, read once. */
export function config(): Config {
	cached ??= loadConfig();

	return cached;
}
