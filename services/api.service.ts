/**
 * The API gateway: maps `/v1` REST routes onto domain actions. It owns routing policy only
 * (credentials, tenancy, scopes, the envelope and error shaping); every business rule lives in
 * the domain services behind it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { Context, ServiceMethods, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { config } from "../models/config";
import type { Auth, Meta, RestParams } from "../models/context";
import { ApiError, notFound, unsupportedEncoding } from "../models/errors";
import { HttpDrainMixin } from "../mixins/http-drain.mixin";
import { HttpMetricsMixin } from "../mixins/http-metrics.mixin";
import { exitOnListenFailure } from "../mixins/listen-failure";
import { etagOf } from "../mixins/resource/view";
import { browserPageRoutes, consoleHome } from "./api/browser-pages";
import { clientAddressOf } from "./api/client-address";
import { authenticate, credentialOf } from "./api/credentials";
import { ErrorAnswersMixin } from "./api/error-answers";
import { GraphqlGateway } from "./api/graphql";
import { API_VERSION, type GatewayRequest, hasBody, isJson, requestIdOf } from "./api/http-request";
import { claimFromRequest, sendReplay } from "./api/idempotency";
import { oauthRoutes } from "./api/oauth-route";
import { buildOpenApi } from "./api/openapi";
import { limitRequest } from "./api/rate-limit";
import { closeSharedRedis, sharedRedis } from "./api/redis";
import { isEncoded, refuseProtoQueryKey } from "./api/request-checks";
import { refuseUnservedUpgrades } from "./api/upgrades";
import { costOf, routeOf } from "./api/route-lookup";
import { type GatewayThis, v1Route } from "./api/v1-route";

/** The services every request path needs; `/ready` is 503 until each one answers. */
const READY_SERVICES = [
	...["organizations", "users", "members", "api-keys", "tokens", "sessions", "oauth"],
	...["customers", "events"],
];

type Req = GatewayRequest;
type Res = ServerResponse;

const ApiService: ServiceSchema = {
	name: "api",
	// The first mixin wins a conflict: ours retune moleculer-web's `rest` action (span names).
	// GraphQL at /graphql (HTTP and graphql-ws), last so its route is in place when the gateway
	// builds its routes; its policy lives in api/graphql.ts. Error answers: api/error-answers.ts.
	mixins: [HttpMetricsMixin, HttpDrainMixin, ErrorAnswersMixin, ApiGateway, GraphqlGateway],

	settings: {
		port: config().port,
		ip: config().host,
		// Routes are declared one by one in api/routes.ts; nothing is exposed by action name.
		routes: [
			// OAuth and /.well-known: form bodies and RFC
			// 6749 errors (services/api/oauth-route.ts).
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
				onError(this: GatewayThis, req: Req, res: Res, err: unknown) {
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
		onError(this: GatewayThis, req: Req, res: Res, err: unknown) {
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

			// A refused credential counts against the client's
			// address, so guessing keys is limited too.
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

		/**
		 * moleculer-web's call of the route's action; a replayed request does not call it again.
		 */
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

	created() {
		// moleculer-web logs a bind failure as a bare "Server error" and never settles its
		// `started`, so the node would run on without HTTP: its listener gives way to ours.
		const server = this.server as import("node:http").Server;
		server.removeAllListeners("error");
		exitOnListenFailure(server, "PORT", config().port, this.logger, (message) =>
			this.broker.fatal(message),
		);
	},

	started() {
		const server = this.server as import("node:http").Server;
		server.headersTimeout = config().headersTimeoutMs;
		server.keepAliveTimeout = config().keepAliveTimeoutMs;
		refuseUnservedUpgrades(server);
	},

	async stopped() {
		await closeSharedRedis();
	},
};

export default ApiService;
