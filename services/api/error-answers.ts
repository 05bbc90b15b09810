/**
 * Error answers of the gateway's routes: the contract's error envelope with the request id, 405
 * with `Allow` where a path exists under another method, rate-limit fields on every `/v1`
 * answer, and a fixed answer when even that cannot be written. A mixin of the api service.
 */
import type { ServerResponse } from "node:http";
import type { ServiceSchema } from "moleculer";
import { ApiError } from "../../models/errors";
import { errorBody, toApiError, writeFallbackError } from "./errors";
import { API_VERSION, type GatewayRequest, isApiPath, requestIdOf } from "./http-request";
import { releaseFromRequest } from "./idempotency";
import { hasRateLimitHeaders, limitRequest } from "./rate-limit";
import { methodsOf } from "./route-lookup";

export const ErrorAnswersMixin: Partial<ServiceSchema> = {
	methods: {
		/**
		 * Every `/v1` answer carries the rate-limit fields: one refused before the credential was
		 * read (unknown route, bad body) counts against the client's address.
		 */
		sendApiError(req: GatewayRequest, res: ServerResponse, err: unknown): void {
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
		writeApiError(req: GatewayRequest, res: ServerResponse, err: unknown): void {
			try {
				this.writeErrorResponse(req, res, err);
			} catch (failure) {
				this.logger.error(
					`Error response of ${req.method} request ${requestIdOf(req)} failed: ` +
						`${(failure as Error)?.name}`,
				);
				writeFallbackError(res, API_VERSION);
			}
		},

		writeErrorResponse(req: GatewayRequest, res: ServerResponse, err: unknown): void {
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
				// The name and message only: stacks reach no log line (they go to the error
				// reporter, Sentry, when one is configured).
				const e = err as Error;
				this.logger.error(
					`Request ${req.method} ${path} failed: ${e?.name}: ${e?.message} (request ` +
						`${requestId})`,
				);
			} else if (error.type === "SERVICE_UNAVAILABLE") {
				this.logger.warn(
					`Request ${req.method} ${path}: service unavailable ` +
						`(${(err as Error)?.message}; request ${requestId})`,
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
	},
};
