/**
 * `new Mantis({ apiKey, organizationId })`: the gateway's resources of one organization and
 * the real-time helpers, over one configured transport.
 */
import { GraphqlSubscriptions } from "./graphql";
import { Http, type HttpOptions } from "./http";
import { RealtimeClient } from "./realtime";
import { type Resources, resourcesOf } from "./resources";

export interface MantisOptions {
	/** An API key (`mnx_…`) or an access token. */
	apiKey: string;
	/** The organization the key belongs to. */
	organizationId: string;
	/** The server root; a trailing `/v1` is accepted too. Default `http://localhost:3000`. */
	baseUrl?: string;
	/** Per attempt, in ms (default 30,000). */
	timeoutMs?: number;
	/** Retries after the first attempt (default 3). */
	maxRetries?: number;
	/** A `Retry-After` longer than this is thrown as `RateLimitedError` (default 60,000 ms). */
	maxRetryDelayMs?: number;
	/** How to wait between attempts (default `setTimeout`). */
	sleep?: HttpOptions["sleep"];
	/** Told of each retry before its wait. */
	onRetry?: HttpOptions["onRetry"];
}

export const VERSION = "0.1.0";

// The resources become properties of the instance (see the constructor).
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Mantis extends Resources {}

export class Mantis {
	readonly http: Http;
	readonly organizationId: string;
	/** socket.io events of this organization (needs the `socket.io-client` package). */
	readonly realtime: RealtimeClient;
	/** GraphQL subscriptions over graphql-ws (needs the `graphql-ws` package). */
	readonly graphql: GraphqlSubscriptions;

	constructor(options: MantisOptions) {
		if (!options.apiKey) throw new TypeError("Mantis: apiKey is required");
		if (!options.organizationId) throw new TypeError("Mantis: organizationId is required");
		const baseUrl = (options.baseUrl ?? "http://localhost:3000")
			.replace(/\/+$/, "")
			.replace(/\/v1$/, "");
		this.organizationId = options.organizationId;
		this.http = new Http({
			apiKey: options.apiKey,
			baseUrl,
			timeoutMs: options.timeoutMs ?? 30_000,
			maxRetries: options.maxRetries ?? 3,
			maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
			sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
			onRetry: options.onRetry,
			userAgent: `mantis-sdk-typescript/${VERSION} node/${process.versions.node}`,
		});
		Object.assign(this, resourcesOf(this.http, this.organizationId));
		this.realtime = new RealtimeClient(baseUrl, options.apiKey);
		this.graphql = new GraphqlSubscriptions(baseUrl, options.apiKey);
	}
}
