/**
 * The `/v1` routes of the gateway, one per kind of body, and the hooks each runs around its
 * action: the guard before, the envelope and the idempotency record after, the error answer.
 */
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { Context } from "moleculer";
import { config } from "../../models/config";
import type { Meta, RestParams } from "../../models/context";
import type { GatewayRequest } from "./http-request";
import { keepResponse } from "./idempotency";
import { PARSER_OPTIONS, refuseDeepBody } from "./request-checks";
import { aliases, type BodyKind } from "./route-lookup";

/** The gateway's methods the route hooks call (services/api.service.ts). */
export interface GatewayThis {
	guard(ctx: Context<RestParams, Meta>, req: GatewayRequest, res: ServerResponse): Promise<void>;
	envelope(
		ctx: Context<RestParams, Meta>,
		req: GatewayRequest,
		res: ServerResponse,
		data: unknown,
	): unknown;
	sendApiError(req: GatewayRequest, res: ServerResponse, err: unknown): void;
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
export function v1Route(kind: BodyKind) {
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
		// Raw bodies stream for as long as they take. Otherwise an action's
		// own `timeout` applies (a webhook test waits for its receiver),
		// else the broker's requestTimeout (REQUEST_TIMEOUT_MS).
		callOptions: kind === "raw" ? { timeout: 0 } : {},
		onBeforeCall(
			this: GatewayThis,
			ctx: Context<RestParams, Meta>,
			_route: unknown,
			req: GatewayRequest,
			res: ServerResponse,
		) {
			return this.guard(ctx, req, res);
		},
		async onAfterCall(
			this: GatewayThis,
			ctx: Context<RestParams, Meta>,
			_route: unknown,
			req: GatewayRequest,
			res: ServerResponse,
			data: unknown,
		) {
			const body = this.envelope(ctx, req, res, data);
			if (!(body instanceof Readable)) await keepResponse(ctx, req, res, body);

			return body;
		},
		onError(this: GatewayThis, req: GatewayRequest, res: ServerResponse, err: unknown) {
			this.sendApiError(req, res, err);
		},
	};
}
