// The signed-in session: sign in with email and password (POST /v1/auth/sessions), keep the
// tokens for this tab only (sessionStorage: gone when the tab closes, never sent by the browser
// on its own like a cookie), rotate them through the refresh grant, and sign out.
// The GraphQL explorer imports this module too, so it uses the console's session.

const STORAGE_KEY = "mantis.console.session";

/** Refresh this long before the access token runs out, so requests never meet an expired one. */
const REFRESH_MARGIN_MS = 60_000;

let current = load();
let refreshing = null;
let timer = null;
const listeners = new Set();

function load() {
	try {
		return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
	} catch {
		return null;
	}
}

function save(session) {
	current = session;
	if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
	else sessionStorage.removeItem(STORAGE_KEY);
	scheduleRefresh();
	for (const listener of listeners) listener(session);
}

function scheduleRefresh() {
	clearTimeout(timer);
	if (!current) return;
	const wait = Math.max(current.expires_at - Date.now() - REFRESH_MARGIN_MS, 1_000);
	timer = setTimeout(() => refresh().catch(() => {}), wait);
}

/** The answer's JSON, or an Error carrying the API's (or OAuth's) code and message. */
async function readJson(response) {
	const body = await response.json().catch(() => null);
	if (response.ok) return body;
	const error = new Error(
		body?.error?.message ?? body?.error_description ?? `HTTP ${response.status}`,
	);
	error.code = body?.error?.code ?? body?.error ?? "HTTP_ERROR";
	error.status = response.status;
	throw error;
}

function fromTokens(tokens, user) {
	return {
		access_token: tokens.access_token,
		refresh_token: tokens.refresh_token,
		session_id: tokens.session_id,
		expires_at: Date.now() + tokens.expires_in * 1000,
		user,
	};
}

export function session() {
	return current;
}

export function accessToken() {
	return current?.access_token;
}

/** Calls `listener(session)` on every sign-in, refresh and sign-out. */
export function onSessionChange(listener) {
	listeners.add(listener);

	return () => listeners.delete(listener);
}

export async function signIn(email, password) {
	const response = await fetch("/v1/auth/sessions", {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ email, password, device_name: "Developer console" }),
	});
	const { data } = await readJson(response);
	save(fromTokens(data, data.user));

	return current;
}

/**
 * A new token pair from the refresh token (it rotates: the old one is spent). Concurrent
 * callers share one request, since presenting a spent refresh token revokes the whole session.
 */
export function refresh() {
	if (!current) return Promise.reject(new Error("Not signed in"));
	refreshing ??= (async () => {
		try {
			const response = await fetch("/v1/auth/oauth/refresh", {
				method: "POST",
				headers: { "Content-Type": "application/x-www-form-urlencoded" },
				body: new URLSearchParams({ refresh_token: current.refresh_token }),
			});
			const tokens = await readJson(response);
			save(fromTokens({ session_id: current.session_id, ...tokens }, current.user));

			return current;
		} catch (err) {
			// A refused refresh token (expired, revoked, reused) ends the session here too.
			if (err.status === 400 || err.status === 401) save(null);
			throw err;
		} finally {
			refreshing = null;
		}
	})();

	return refreshing;
}

/** Ends the session on the server (its tokens stop working at once), then forgets it. */
export async function signOut() {
	const token = accessToken();
	if (token) {
		await fetch("/v1/auth/sessions/current", {
			method: "DELETE",
			headers: { Authorization: `Bearer ${token}` },
		}).catch(() => {});
	}
	save(null);
}

// A reload keeps the tab's session: its refresh timer starts again.
scheduleRefresh();
