/**
 * The JSON body of an error response, as the contract pins it. The mapping of any error onto
 * the catalogue lives in models/errors.ts.
 */
import type { ServerResponse } from "node:http";
import type { ApiError } from "../../models/errors";

export { toApiError } from "../../models/errors";

/** The JSON body of an error response. */
export function errorBody(
	error: ApiError,
	requestId: string | undefined,
	version: string,
): Record<string, unknown> {
	return {
		success: false,
		error: { code: error.type, message: error.message, details: error.data?.details ?? [] },
		meta: { timestamp: new Date().toISOString(), version, request_id: requestId ?? null },
	};
}

/** The last-resort error answer, built without anything of the failed request. */
export function writeFallbackError(res: ServerResponse, version: string): void {
	try {
		if (res.headersSent) {
			res.end();

			return;
		}
		const body = JSON.stringify({
			success: false,
			error: { code: "INTERNAL_ERROR", message: "An internal error occurred", details: [] },
			meta: { timestamp: new Date().toISOString(), version, request_id: null },
		});
		res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
		res.end(body);
	} catch {
		res.destroy();
	}
}
