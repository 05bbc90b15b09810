/**
 * The API gateway: maps `/v1` REST routes onto domain actions. It owns routing policy only
 * (credentials, tenancy, scopes, the envelope and error shaping); every business rule lives in
 * the domain services behind it.
 */
import crypto from "node:crypto";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { Context, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import serveStatic from "serve-static";
import { config } from "../models/config";
import type { Auth, Meta, RestParams } from "../models/context";
import { ApiError, notFound } from "../models/errors";
import { HttpDrainMixin } from "../mixins/http-drain.mixin";
import { HttpMetricsMixin } from "../mixins/http-metrics.mixin";
import { etagOf } from "../mixins/resource/view";
import { clientAddressOf } from "./api/client-address";
import { authenticate, credentialOf } from "./api/credentials";
import { errorBody, toApiError } from "./api/errors";
import { buildOpenApi } from "./api/openapi";
import { oauthRoutes } from "./api/oauth-route";
import { aliases, methodsOf, routeOf } from "./api/routes";

/** Version reported in every envelope's `meta`. */
export const API_VERSION = "1.0.0";

/** A client's own `X-Request-Id` is kept when it is this tame; otherwise we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The services every request path needs; `/ready` is 503 until each one answers. */
const READY_SERVICES = [
	...["organizations", "users", "members", "api-keys", "tokens", "sessions", "oauth"],
	...["customers", "events"],
];

/** Largest JSON body on ordinary routes (contract: 1 MB, larger is 413). */
const JSON_LIMIT = "1mb";

type Req = IncomingMessage & {
	$ctx: Context<RestParams, Meta>;
	$params: RestParams;
	$action?: { name: string; scope?: string | false };
	$alias?: { method: string; path: string };
	parsedUrl?: string;
	originalUrl?: string;
};
type Res = ServerResponse;

function requestIdOf(req: IncomingMessage): string {
	const given = req.headers["x-request-id"];
	if (typeof given === "string" && REQUEST_ID.test(given)) return given;

	return `req_${crypto.randomBytes(12).toString("base64url")}`;
}

function hasBody(req: IncomingMessage): boolean {
	const length = Number(req.headers["content-length"] ?? 0);

	return length > 0 || req.headers["transfer-encoding"] !== undefined;
}

function isJson(req: IncomingMessage): boolean {
	const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();

	return type === "application/json" || type.endsWith("+json");
}

const ApiService: ServiceSchema = {
	name: "api",
	// The first mixin wins a conflict: ours retune moleculer-web's `rest` action (span names).
	mixins: [HttpMetricsMixin, HttpDrainMixin, ApiGateway],

	settings: {
		port: config().port,
		ip: config().host,
		// Routes are declared one by one in api/routes.ts; nothing is exposed by action name.
		routes: [
			// OAuth and /.well-known: form bodies and RFC 6749 errors (services/api/oauth-route.ts).
			...oauthRoutes(),
			// Uploads and imports: no body parser; the action streams the body (limit per route).
			{
				// Two routes share `/v1`; moleculer-web tells them apart by name only.
				name: "v1-raw",
				path: "/v1",
				mappingPolicy: "restrict",
				autoAliases: false,
				mergeParams: false,
				bodyParsers: false,
				aliases: aliases(true),
				logging: true,
				callOptions: { timeout: 0 },
				onBeforeCall(
					this: ApiThis,
					ctx: Context<RestParams, Meta>,
					_route: unknown,
					req: Req,
				) {
					return this.guard(ctx, req);
				},
				onAfterCall(
					this: ApiThis,
					ctx: Context<RestParams, Meta>,
					_route: unknown,
					req: Req,
					res: Res,
					data: unknown,
				) {
					return this.envelope(ctx, req, res, data);
				},
				onError(this: ApiThis, req: Req, res: Res, err: unknown) {
					this.sendApiError(req, res, err);
				},
			},
			{
				name: "v1",
				path: "/v1",
				mappingPolicy: "restrict",
				autoAliases: false,
				mergeParams: false,
				bodyParsers: { json: { limit: JSON_LIMIT, strict: true } },
				aliases: aliases(),
				// Client errors are the client's; they are logged at debug, never at error.
				logging: true,
				callOptions: { timeout: config().requestTimeoutMs },
				onBeforeCall(
					this: ApiThis,
					ctx: Context<RestParams, Meta>,
					_route: unknown,
					req: Req,
				) {
					return this.guard(ctx, req);
				},
				onAfterCall(
					this: ApiThis,
					ctx: Context<RestParams, Meta>,
					_route: unknown,
					req: Req,
					res: Res,
					data: unknown,
				) {
					return this.envelope(ctx, req, res, data);
				},
				onError(this: ApiThis, req: Req, res: Res, err: unknown) {
					this.sendApiError(req, res, err);
				},
			},
			{
				path: "/",
				mappingPolicy: "restrict",
				autoAliases: false,
				aliases: {
					"GET health": "api.health",
					"GET ready": "api.ready",
					"GET openapi.json": "api.openapi",
				},
				onError(this: ApiThis, req: Req, res: Res, err: unknown) {
					this.sendApiError(req, res, err);
				},
			},
			{
				// The API reference UI, served from node_modules (no CDN); its page is public/docs/.
				path: "/docs",
				use: [
					serveStatic(path.resolve(__dirname, "..", "public", "docs"), {
						index: "index.html",
					}),
					serveStatic(path.dirname(require.resolve("swagger-ui-dist/package.json")), {
						index: false,
					}),
				],
				mappingPolicy: "restrict",
				autoAliases: false,
			},
		],
		assets: { folder: "public", options: { index: "index.html", dotfiles: "ignore" } },
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
		// Slow clients may not hold sockets open: headers within 10 s, a whole request within 60 s.
		httpServerTimeout: 120_000,
		requestTimeout: 60_000,
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
		/** Media type, credential and tenancy: what the gateway decides before an action runs. */
		async guard(ctx: Context<RestParams, Meta>, req: Req): Promise<void> {
			const route = req.$alias ? routeOf(req.$alias.method, req.$alias.path) : undefined;
			if (route?.rawBody) this.rawBodyGuard(ctx, req, route.bodyLimit);
			else if (
				(req.method === "POST" || req.method === "PUT" || req.method === "PATCH") &&
				hasBody(req) &&
				!isJson(req)
			) {
				throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
			}
			const scope = req.$action?.scope;
			if (scope === false) return;

			const auth: Auth = await authenticate(ctx, credentialOf(req.headers));
			ctx.meta.auth = auth;

			const orgId = req.$params.params?.org_id;
			if (orgId !== undefined && orgId !== auth.organization_id) throw notFound("resource");
			// Scopes are checked where the action runs (mixins/scopes.middleware.ts), for every entry point.

			ctx.meta.publicUrl = config().publicUrl ?? `http://${req.headers.host ?? "localhost"}`;
			const ifMatch = req.headers["if-match"];
			if (typeof ifMatch === "string") req.$params.if_match = ifMatch;
		},

		/**
		 * A streamed body: a declared length over the route's limit is 413 before any byte is
		 * read; the action counts the rest (chunked bodies) and learns the media type here.
		 */
		rawBodyGuard(ctx: Context<RestParams, Meta>, req: Req, limit = 1024 * 1024): void {
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

		sendApiError(req: Req, res: Res, err: unknown): void {
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
			res.writeHead(error.code, headers);
			res.end(JSON.stringify(errorBody(error, requestId, API_VERSION)));
		},

		/** What `/ready` checks: the services every request path needs are reachable. */
		async readiness(): Promise<Record<string, string>> {
			const checks: Record<string, string> = {};
			const available = new Set(
				this.broker.registry
					.getServiceList({ onlyAvailable: true })
					.map((s: { name: string }) => s.name),
			);
			for (const service of READY_SERVICES) {
				checks[service] = available.has(service) ? "ok" : "unavailable";
			}

			return checks;
		},
	},

	started() {
		const server = this.server as import("node:http").Server;
		server.headersTimeout = 10_000;
		server.keepAliveTimeout = 5_000;
	},
};

type ApiThis = ThisType<unknown> & {
	guard(ctx: Context<RestParams, Meta>, req: Req): Promise<void>;
	rawBodyGuard(ctx: Context<RestParams, Meta>, req: Req, limit?: number): void;
	envelope(ctx: Context<RestParams, Meta>, req: Req, res: Res, data: unknown): unknown;
	sendApiError(req: Req, res: Res, err: unknown): void;
	logger: { error(...args: unknown[]): void };
};

export default ApiService;
