// Calls to the REST API with the session's access token. An answer of 401 gets one refresh of
// the token and one more try; errors surface as ApiError with the envelope's code and message.
import { accessToken, refresh, session } from "./session.js";

export class ApiError extends Error {
	constructor(status, body) {
		super(body?.error?.message ?? `The request failed (HTTP ${status})`);
		this.status = status;
		this.code = body?.error?.code ?? "HTTP_ERROR";
		this.requestId = body?.meta?.request_id;
	}
}

async function send(method, path, body) {
	const headers = { Authorization: `Bearer ${accessToken()}` };
	if (body !== undefined) headers["Content-Type"] = "application/json";

	return fetch(path, {
		method,
		headers,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

/** The envelope of `method path` (`{data, pagination?, meta}`), or an ApiError. */
export async function call(method, path, body) {
	let response = await send(method, path, body);
	if (response.status === 401 && session()) {
		await refresh();
		response = await send(method, path, body);
	}
	const envelope = await response.json().catch(() => null);
	if (!response.ok || !envelope?.success) throw new ApiError(response.status, envelope);

	return envelope;
}

/** `/v1/organizations/<the session's organization>` + `path`. */
export function orgPath(path) {
	return `/v1/organizations/${session().user.organization_id}${path}`;
}
