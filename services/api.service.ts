/**
 * The API gateway: maps `/v1` REST routes onto domain actions. It owns routing policy only
 * (credentials, tenancy, scopes, the envelope and error shaping); every business rule lives in
 * the domain services behind it.
 */
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { Context, ServiceMethods, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { config } from "../models/config";
import type { Auth, Meta, RestParams } from "../models/context";
import { ApiError, notFound, unsupportedEncoding } from "../models/errors";
import { HttpDrainMixin } from "../mixins/http-drain.mixin";
import { HttpMetricsMixin } from "../mixins/http-metrics.mixin";
import { etagOf } from "../mixins/resource/view";
import { clientAddressOf } from "./api/client-address";
import {
	isEncoded,
	PARSER_OPTIONS,
	refuseDeepBody,
	refuseProtoQueryKey,
} from "./api/request-checks";
import { authenticate, credentialOf } from "./api/credentials";
import { errorBody, toApiError, writeFallbackError } from "./api/errors";
import {
	claimFromRequest,
	type IdempotentHttpRequest,
	keepResponse,
	releaseFromRequest,
	sendReplay,
} from "./api/idempotency";
import { browserPageRoutes, consoleHome } from "./api/browser-pages";
import { oauthRoutes } from "./api/oauth-route";
import { GraphqlGateway } from "./api/graphql";
import { buildOpenApi } from "./api/openapi";
import { hasRateLimitHeaders, limitRequest } from "./api/rate-limit";
import { closeSharedRedis, sharedRedis } from "./api/redis";
import { aliases, type BodyKind, costOf, methodsOf, routeOf } from "./api/routes";

/** Version reported in every envelope's `meta`. */
export const API_VERSION = "1.0.0";

/** A client's own `X-Request-Id` is kept when it is this tame; otherwise we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The services every request path needs; `/ready` is 503 until each one answers. */
const READY_SERVICES = [
	...["organizations", "users", "members", "api-keys", "tokens", "sessions", "oauth"],
	...["customers", "events"],
];

type Req = IdempotentHttpRequest & {
	$ctx: Context<RestParams, Meta>;
	$params: RestParams;
	$action?: { name: string; scope?: string | false };
	$alias?: { method: string; path: string };
	parsedUrl?: string;
	originalUrl?: string;
};
type Res = ServerResponse;

/**
 * Request ids are unique, not secret: a random prefix per process and a counter, which costs
 * nothing per request (random bytes for each would be a measurable share of a cached GET).
 */
const REQUEST_ID_PREFIX = `req_${crypto.randomBytes(6).toString("base64url")}`;
let requestCounter = 0;

function requestIdOf(req: IncomingMessage): string {
	const given = req.headers["x-request-id"];
	if (typeof given === "string" && REQUEST_ID.test(given)) return given;
	requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;

	return `${REQUEST_ID_PREFIX}${requestCounter.toString(36)}`;
}

function hasBody(req: IncomingMessage): boolean {
	const length = Number(req.headers["content-length"] ?? 0);

	return length > 0 || req.headers["transfer-encoding"] !== undefined;
}

function isJson(req: IncomingMessage): boolean {
	const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();

	return type === "application/json" || type.endsWith("+json");
}

function isApiPath(req: Req): boolean {
	return (req.originalUrl ?? req.url ?? "").startsWith("/v1/");
}

/** What the guard lets through as JSON (`isJson`) is what the parser reads: `+json` types too. */
const JSON_TYPES = ["application/json", "application/*+json"];

/** The largest body of each kind of `/v1` route (contract: 1 MB; bulk and import 50 MB). */
function jsonLimit(kind: BodyKind): number {
	return kind === "large" ? config().maxBulkBodyBytes : config().maxBodyBytes;
}

/**
 * One `/v1` gateway route per kind of body: parsed JSON up to 1 MB, parsed JSON up to 50 MB
 * (bulk), or raw streams read by the action (uploads, imports; limit per route).
 */
function v1Route(kind: BodyKind) {
	return {
		// Several routes share `/v1`; moleculer-web tells them apart by name only.
		name: `v1-${kind}`,
		path: "/v1",
		mappingPolicy: "restrict",
		autoAliases: false,
		mergeParams: false,
		bodyParsers:
			kind === "raw"
				? false
				: {
						json: {
							...PARSER_OPTIONS,
							type: JSON_TYPES,
							limit: jsonLimit(kind),
							strict: true,
						},
					},
		use: kind === "raw" ? [] : [refuseDeepBody],
		aliases: aliases(kind),
		// Client errors are the client's; they are logged at debug, never at error.
		logging: true,
		// Raw bodies stream for as long as they take. Otherwise an action's own `timeout` applies (a
		// webhook test waits for its receiver), else the broker's requestTimeout (REQUEST_TIMEOUT_MS).
		callOptions: kind === "raw" ? { timeout: 0 } : {},
		onBeforeCall(
			this: ApiThis,
			ctx: Context<RestParams, Meta>,
			_route: unknown,
			req: Req,
			res: Res,
		) {
			return this.guard(ctx, req, res);
		},
		async onAfterCall(
			this: ApiThis,
			ctx: Context<RestParams, Meta>,
			_route: unknown,
			req: Req,
			res: Res,
			data: unknown,
		) {
			const body = this.envelope(ctx, req, res, data);
			if (!(body instanceof Readable)) await keepResponse(ctx, req, res, body);

			return body;
		},
		onError(this: ApiThis, req: Req, res: Res, err: unknown) {
			this.sendApiError(req, res, err);
		},
	};
}

const ApiService: ServiceSchema = {
	name: "api",
	// The first mixin wins a conflict: ours retune moleculer-web's `rest` action (span names).
	// GraphQL at /graphql (HTTP and graphql-ws), last so its route is in place when the gateway
	// builds its routes; its policy lives in api/graphql.ts.
	mixins: [HttpMetricsMixin, HttpDrainMixin, ApiGateway, GraphqlGateway],

	settings: {
		port: config().port,
		ip: config().host,
		// Routes are declared one by one in api/routes.ts; nothing is exposed by action name.
		routes: [
			// OAuth and /.well-known: form bodies and RFC 6749 errors (services/api/oauth-route.ts).
			...oauthRoutes(),
			v1Route("raw"),
			v1Route("large"),
			v1Route("json"),
			{
				path: "/",
				mappingPolicy: "restrict",
				autoAliases: false,
				aliases: {
					"GET health": "api.health",
					"GET ready": "api.ready",
					"GET openapi.json": "api.openapi",
					// The root is the developer console (contract: `GET /`).
					"GET /": consoleHome(),
				},
				onError(this: ApiThis, req: Req, res: Res, err: unknown) {
					this.sendApiError(req, res, err);
				},
			},
			// The developer console, the GraphQL explorer and the API reference (/docs), each
			// under its own CSP, with their third-party files from node_modules (no CDN).
			...browserPageRoutes(),
		],
		assets: { folder: "public", options: { index: "index.html", dotfiles: "ignore" } },
		// Query objects without a prototype: qs then keeps `?constructor=` or `?toString=` as
		// parameters (refused as unknown) instead of dropping them as prototype members.
		qsOptions: { plainObjects: true },
		rootCallOptions(
			options: Record<string, unknown>,
			req: IncomingMessage,
			res: ServerResponse,
		) {
			const requestId = requestIdOf(req);
			const userAgent = req.headers["user-agent"];
			options.requestID = requestId;
			options.meta = {
				requestId,
				clientIp: clientAddressOf(req, config().trustProxy),
				...(typeof userAgent === "string" ? { userAgent: userAgent.slice(0, 300) } : {}),
			};
			res.setHeader("X-Request-Id", requestId);
		},
		onError(this: ApiThis, req: Req, res: Res, err: unknown) {
			this.sendApiError(req, res, err);
		},
		log4XXResponses: false,
		// The metrics mixin logs each request at debug, with its route, status and request id.
		logRequest: null,
		logResponse: null,
		logRequestParams: null,
		logResponseData: null,
		// Slow clients may not hold sockets open (see `started` for the header and idle limits).
		httpServerTimeout: 2 * config().httpRequestTimeoutMs,
		requestTimeout: config().httpRequestTimeoutMs,
	},

	actions: {
		openapi: {
			scope: false,
			handler(): Record<string, unknown> {
				this.openapiDocument ??= buildOpenApi(API_VERSION);

				return this.openapiDocument;
			},
		},

		health: {
			scope: false,
			handler(): { status: string } {
				return { status: "ok" };
			},
		},

		ready: {
			scope: false,
			async handler(
				ctx: Context<unknown, Meta>,
			): Promise<{ status: string; checks: Record<string, string> }> {
				const checks = await this.readiness();
				const ready = Object.values(checks).every((c) => c === "ok");
				if (!ready) ctx.meta.$statusCode = 503;

				return { status: ready ? "ready" : "not_ready", checks };
			},
		},
	},

	methods: {
		/**
		 * Media type, credential, rate limit, tenancy and idempotency: what the gateway decides
		 * before an action runs. Scopes are checked where the action runs
		 * (mixins/scopes.middleware.ts), for every entry point.
		 */
		async guard(ctx: Context<RestParams, Meta>, req: Req, res: Res): Promise<void> {
			const route = req.$alias ? routeOf(req.$alias.method, req.$alias.path) : undefined;
			if (route?.rawBody) this.rawBodyGuard(ctx, req, route.bodyLimit);
			else if (
				(req.method === "POST" || req.method === "PUT" || req.method === "PATCH") &&
				hasBody(req) &&
				!isJson(req)
			) {
				throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
			}
			refuseProtoQueryKey(req.originalUrl ?? req.url ?? "");
			const cost = costOf(route, req.$params.query);
			const scope = req.$action?.scope;
			if (scope === false) return limitRequest(req, res, undefined, cost);

			// A refused credential counts against the client's address, so guessing keys is limited too.
			const auth: Auth = await authenticate(ctx, credentialOf(req.headers)).catch(
				async (err) => {
					await limitRequest(req, res, undefined);
					throw err;
				},
			);
			ctx.meta.auth = auth;
			await limitRequest(req, res, auth, cost);

			const orgId = req.$params.params?.org_id;
			if (orgId !== undefined && orgId !== auth.organization_id) throw notFound("resource");

			ctx.meta.publicUrl = config().publicUrl ?? `http://${req.headers.host ?? "localhost"}`;
			const ifMatch = req.headers["if-match"];
			if (typeof ifMatch === "string") req.$params.if_match = ifMatch;
			// RFC 9111 `no-cache`: the client wants the store's answer, not a cached one.
			if (req.headers["cache-control"]?.includes("no-cache")) ctx.meta.$cache = false;
			await claimFromRequest(ctx, req);
		},

		/** moleculer-web's call of the route's action; a replayed request does not call it again. */
		callAction(route: unknown, action: string, req: Req, res: Res, params: unknown) {
			if (!req.$replay)
				return (ApiGateway.methods as ServiceMethods).callAction.call(
					this,
					route,
					action,
					req,
					res,
					params,
				);
			sendReplay(res, req.$replay);

			return true;
		},

		/**
		 * A streamed body: a declared length over the route's limit is 413 before any byte is
		 * read; the action counts the rest (chunked bodies) and learns the media type here.
		 */
		rawBodyGuard(ctx: Context<RestParams, Meta>, req: Req, limit = 1024 * 1024): void {
			if (isEncoded(req)) throw unsupportedEncoding();
			const length = Number(req.headers["content-length"] ?? Number.NaN);
			if (length > limit)
				throw new ApiError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes`);
			ctx.meta.upload = {
				// Kept as sent: a multipart boundary is case-sensitive.
				content_type: String(req.headers["content-type"] ?? ""),
				content_length: Number.isFinite(length) ? length : undefined,
				limit,
			};
		},

		/** The contract's success envelope, with ETag and Location for single resources. */
		envelope(ctx: Context<RestParams, Meta>, req: Req, res: Res, data: unknown): unknown {
			// Downloads and exports stream as they are, with the type the action chose.
			if (data instanceof Readable) return data;
			const route = req.$alias ? routeOf(req.$alias.method, req.$alias.path) : undefined;
			if (route?.noStore) res.setHeader("Cache-Control", "no-store");
			const meta = {
				timestamp: new Date().toISOString(),
				version: API_VERSION,
				request_id: ctx.meta.requestId ?? null,
			};
			const page = data as { data?: unknown; pagination?: unknown } | null;
			if (page && Array.isArray(page.data) && page.pagination) {
				return { success: true, data: page.data, pagination: page.pagination, meta };
			}
			const resource = data as { id?: unknown; version?: unknown } | null;
			if (
				resource &&
				typeof resource.id === "string" &&
				typeof resource.version === "number"
			) {
				res.setHeader("ETag", etagOf(resource as { id: string; version: number }));
			}
			if (route?.status === 201 && resource && typeof resource.id === "string") {
				ctx.meta.$statusCode = 201;
				ctx.meta.$location = `${(req.originalUrl ?? "").split("?")[0]}/${resource.id}`;
			}

			return { success: true, data, meta };
		},

		/**
		 * Every `/v1` answer carries the rate-limit fields: one refused before the credential was
		 * read (unknown route, bad body) counts against the client's address.
		 */
		sendApiError(req: Req, res: Res, err: unknown): void {
			if (req.$ctx) releaseFromRequest(req.$ctx, req);
			if (res.headersSent || hasRateLimitHeaders(res) || !isApiPath(req)) {
				this.writeApiError(req, res, err);

				return;
			}
			limitRequest(req, res, undefined).then(
				() => this.writeApiError(req, res, err),
				(limited: unknown) => this.writeApiError(req, res, limited),
			);
		},

		/** Never throws: an error answer that cannot be written falls back to a fixed one. */
		writeApiError(req: Req, res: Res, err: unknown): void {
			try {
				this.writeErrorResponse(req, res, err);
			} catch (failure) {
				this.logger.error(
					`Error response of ${req.method} request ${requestIdOf(req)} failed: ${(failure as Error)?.name}`,
				);
				writeFallbackError(res, API_VERSION);
			}
		},

		writeErrorResponse(req: Req, res: Res, err: unknown): void {
			let error = toApiError(err);
			const path = (req.originalUrl ?? req.url ?? "").split("?")[0];
			if (error.type === "NOT_FOUND" && error.message === "No such route") {
				const allowed = methodsOf(path);
				if (allowed.length && !allowed.includes(req.method as never)) {
					error = new ApiError(
						"METHOD_NOT_ALLOWED",
						`${req.method} is not allowed here`,
						{
							headers: { Allow: allowed.join(", ") },
						},
					);
				}
			}
			const requestId =
				(res.getHeader("X-Request-Id") as string | undefined) ?? requestIdOf(req);
			if (error.type === "INTERNAL_ERROR") {
				const e = err as Error;
				this.logger.error(
					`Request ${req.method} ${path} failed: ${e?.name}: ${e?.message} (request ${requestId})`,
					e?.stack,
				);
			} else if (error.type === "SERVICE_UNAVAILABLE") {
				this.logger.warn(
					`Request ${req.method} ${path}: service unavailable (${(err as Error)?.message}; request ${requestId})`,
				);
			}
			if (res.headersSent) {
				res.end();

				return;
			}
			const headers: Record<string, string> = {
				"Content-Type": "application/json; charset=utf-8",
				"X-Request-Id": requestId,
				...(error.data?.headers ?? {}),
			};
			if (error.type === "UNAUTHORIZED")
				headers["WWW-Authenticate"] = 'Bearer realm="mantis"';
			const body = JSON.stringify(errorBody(error, requestId, API_VERSION));
			headers["Content-Length"] = String(Buffer.byteLength(body));
			res.writeHead(error.code, headers);
			res.end(body);
		},

		/**
		 * moleculer-web's JSON encoding, plus `Content-Length`: without it every answer is sent
		 * chunked, in several socket writes, which costs more than the rest of a cached read.
		 */
		encodeResponse(_req: Req, res: Res, data: unknown): string {
			const json = JSON.stringify(data);
			res.setHeader("Content-Length", Buffer.byteLength(json));

			return json;
		},

		/**
		 * What `/ready` checks: the services every request path needs are reachable, and every
		 * service of this node has started (they start in parallel with the gateway).
		 */
		async readiness(): Promise<Record<string, string>> {
			const checks: Record<string, string> = {};
			const available = new Set(
				this.broker.registry
					.getServiceList({ onlyAvailable: true })
					.map((s: { name: string }) => s.name),
			);
			const local: string[] = this.broker.services.map((s: { name: string }) => s.name);
			for (const service of new Set([...READY_SERVICES, ...local])) {
				checks[service] = available.has(service) ? "ok" : "unavailable";
			}
			const redis = sharedRedis();
			if (redis)
				checks.redis =
					(await redis.ping().catch(() => "")) === "PONG" ? "ok" : "unavailable";

			return checks;
		},
	},

	started() {
		const server = this.server as import("node:http").Server;
		server.headersTimeout = config().headersTimeoutMs;
		server.keepAliveTimeout = config().keepAliveTimeoutMs;
	},

	async stopped() {
		await closeSharedRedis();
	},
};

type ApiThis = ThisType<unknown> & {
	guard(ctx: Context<RestParams, Meta>, req: Req, res: Res): Promise<void>;
	rawBodyGuard(ctx: Context<RestParams, Meta>, req: Req, limit?: number): void;
	envelope(ctx: Context<RestParams, Meta>, req: Req, res: Res, data: unknown): unknown;
	sendApiError(req: Req, res: Res, err: unknown): void;
	writeErrorResponse(req: Req, res: Res, err: unknown): void;
	logger: { error(...args: unknown[]): void };
};

export default ApiService;
