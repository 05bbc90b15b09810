/**
 * Request metrics and the access log of the moleculer-web gateway: every answered request is
 * counted under its route template, and every open HTTP socket under
 * `active_connections{type="rest"}`. Hooks the gateway's own `http.Server`, so it sees what a
 * client sees, including requests no route matched and files served from `public/`.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Context, ServiceSchema } from "moleculer";
import {
	connectionClosed,
	connectionOpened,
	httpRequestFinished,
	initConnectionGauges,
	rateLimitRejected,
	ROUTE_STATIC,
	ROUTE_UNMATCHED,
} from "./metrics";
import { config } from "../models/config";
import { templateOf } from "../services/api/route-lookup";

type GatewayRequest = IncomingMessage & {
	$alias?: { fullPath?: string };
	/** moleculer-web rewrites `url` relative to the route; this keeps the path as received. */
	originalUrl?: string;
};

/** nginx's status for a request the client gave up on before its answer was sent. */
const CLIENT_CLOSED_REQUEST = 499;

/** The access log line is built only when it will be written: it shows in a profile. */
const ACCESS_LOG = ["debug", "trace"].includes(config().logLevel);

/** The route template of a request; ids and other raw path parts never become labels. */
export function routeLabel(req: GatewayRequest, status: number): string {
	if (req.$alias?.fullPath) return req.$alias.fullPath;

	const path = (req.originalUrl ?? req.url ?? "").split("?")[0];
	const template = templateOf(path);
	if (template) return template;

	return status < 400 ? ROUTE_STATIC : ROUTE_UNMATCHED;
}

function secondsSince(start: bigint): number {
	return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Which API a request used, for the rate-limit rejections counter. */
function surfaceOf(req: GatewayRequest): "rest" | "graphql" {
	const path = (req.originalUrl ?? req.url ?? "").split("?")[0];

	return path === "/graphql" || path.startsWith("/graphql/") ? "graphql" : "rest";
}

/** A span name for a request before routing: its route template, never ids or query values. */
export function spanNameOf(method: string, url: string): string {
	const path = url.split("?")[0];
	const template = templateOf(path);
	if (template) return `${method} ${template}`;
	if (path.startsWith("/v1/")) return `${method} ${ROUTE_UNMATCHED}`;

	// Outside /v1 (health, docs, files) the first path segment names the part of the site.
	return `${method} /${path.split("/")[1] ?? ""}`;
}

export const HttpMetricsMixin: Partial<ServiceSchema> = {
	actions: {
		// moleculer-web names the request's span by its raw URL and tags it with it; those hold
		// organization and record ids and query values.
		rest: {
			tracing: {
				tags: { params: ["req.method"] },
				spanName: (ctx: Context) => {
					const { req } = ctx.params as { req: IncomingMessage };

					return spanNameOf(req.method ?? "", req.url ?? "");
				},
			},
		},
	},

	methods: {
		/**
		 * Counts sockets; one upgraded to a WebSocket leaves `rest` (the `io` service counts it).
		 */
		watchConnections(server: Server): void {
			const upgraded = new WeakSet<Socket>();
			server.on("connection", (socket: Socket) => {
				connectionOpened(this.broker, "rest");
				socket.once("close", () => {
					if (!upgraded.has(socket)) connectionClosed(this.broker, "rest");
				});
			});
			server.on("upgrade", (_req: IncomingMessage, socket: Socket) => {
				if (upgraded.has(socket)) return;
				upgraded.add(socket);
				connectionClosed(this.broker, "rest");
			});
		},

		/** Observes each request when its response closes, finished or abandoned. */
		watchRequests(server: Server): void {
			server.on("request", (req: GatewayRequest, res: ServerResponse) => {
				const start = process.hrtime.bigint();
				res.once("close", () => {
					const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST;
					const route = routeLabel(req, status);
					const seconds = secondsSince(start);
					const method = req.method ?? "";
					httpRequestFinished(this.broker, { method, route, status }, seconds);
					if (status === 429) rateLimitRejected(this.broker, surfaceOf(req));
					if (ACCESS_LOG) this.logAccess(req, res, route, status, seconds);
				});
			});
		},

		logAccess(
			req: GatewayRequest,
			res: ServerResponse,
			route: string,
			status: number,
			seconds: number,
		): void {
			this.logger.debug({
				msg: "HTTP request",
				request_id: res.getHeader("X-Request-Id"),
				method: req.method,
				route,
				status,
				duration_ms: Math.round(seconds * 1000),
			});
		},
	},

	started() {
		const server = this.server as Server | undefined;
		if (!server) return;
		initConnectionGauges(this.broker);
		this.watchConnections(server);
		this.watchRequests(server);
	},
};
