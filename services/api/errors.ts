/**
 * The JSON body of an error response, as the contract pins it. The mapping of any error onto
 * the catalogue lives in models/errors.ts.
 */
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
