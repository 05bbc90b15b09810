/**
 * The API gateway: maps `/v1` REST routes onto domain actions. It owns routing policy only
 * (credentials, tenancy, scopes, the envelope and error shaping); every business rule lives in
 * the domain services behind it.
 */
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { config } from "../models/config";
import type { Auth, Meta, RestParams } from "../models/context";
import { ApiError, forbidden, notFound } from "../models/errors";
import { hasScope } from "../models/identity";
import { etagOf } from "../mixins/resource/view";
import { authenticate, credentialOf } from "./api/credentials";
import { errorBody, toApiError } from "./api/errors";
import { aliases, methodsOf, routeOf } from "./api/routes";

/** Version reported in every envelope's `meta`. */
export const API_VERSION = "1.0.0";

/** A client's own `X-Request-Id` is kept when it is this tame; otherwise we make one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
	mixins: [ApiGateway],

	settings: {
		port: config().port,
		ip: config().host,
		// Routes are declared one by one in api/routes.ts; nothing is exposed by action name.
		routes: [
			{
				path: "/v1",
				mappingPolicy: "restrict",
				autoAliases: false,
				mergeParams: false,
				bodyParsers: { json: { limit: JSON_LIMIT, strict: true } },
				aliases: aliases(),
				// Client errors are the client's; they are logged at debug, never at error.
				logging: true,
				// No call timeout here: an action's own `timeout` (a webhook test waits for its receiver)
				// applies, else the broker's requestTimeout (REQUEST_TIMEOUT_MS).
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
				aliases: { "GET health": "api.health", "GET ready": "api.ready" },
				onError(this: ApiThis, req: Req, res: Res, err: unknown) {
					this.sendApiError(req, res, err);
				},
			},
		],
		assets: { folder: "public", options: { index: "index.html", dotfiles: "ignore" } },
		rootCallOptions(
			options: Record<string, unknown>,
			req: IncomingMessage,
			res: ServerResponse,
		) {
			const requestId = requestIdOf(req);
			options.requestID = requestId;
			options.meta = { requestId };
			res.setHeader("X-Request-Id", requestId);
		},
		onError(this: ApiThis, req: Req, res: Res, err: unknown) {
			this.sendApiError(req, res, err);
		},
		log4XXResponses: false,
		logRequest: "debug",
		logResponse: "debug",
		logRequestParams: null,
		logResponseData: null,
		// Slow clients may not hold sockets open: headers within 10 s, a whole request within 60 s.
		httpServerTimeout: 120_000,
		requestTimeout: 60_000,
	},

	actions: {
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
		/** Credential, tenancy, scope and media type: everything decided before an action runs. */
		async guard(ctx: Context<RestParams, Meta>, req: Req): Promise<void> {
			if (
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
			if (scope && !hasScope(auth.scopes, scope))
				throw forbidden(`This credential lacks the ${scope} scope`);

			const ifMatch = req.headers["if-match"];
			if (typeof ifMatch === "string") req.$params.if_match = ifMatch;
		},

		/** The contract's success envelope, with ETag and Location for single resources. */
		envelope(ctx: Context<RestParams, Meta>, req: Req, res: Res, data: unknown): unknown {
			const route = req.$alias ? routeOf(req.$alias.method, req.$alias.path) : undefined;
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
			if (error.type === "INTERNAL_ERROR") {
				const e = err as Error;
				this.logger.error(
					`Request ${req.method} ${path} failed: ${e?.name}: ${e?.message}`,
					e?.stack,
				);
			} else if (error.type === "SERVICE_UNAVAILABLE") {
				this.logger.warn(
					`Request ${req.method} ${path}: service unavailable (${(err as Error)?.message})`,
				);
			}
			if (res.headersSent) {
				res.end();

				return;
			}
			const requestId =
				(res.getHeader("X-Request-Id") as string | undefined) ?? requestIdOf(req);
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
			for (const service of ["organizations", "api-keys", "customers", "events"]) {
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
	envelope(ctx: Context<RestParams, Meta>, req: Req, res: Res, data: unknown): unknown;
	sendApiError(req: Req, res: Res, err: unknown): void;
	logger: { error(...args: unknown[]): void };
};

export default ApiService;
