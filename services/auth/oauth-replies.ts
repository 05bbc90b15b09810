/**
 * What the OAuth actions answer, before the gateway turns it into HTTP: a JSON body (token,
 * revocation, metadata), a redirect back to the client, or the authorization page. The gateway
 * owns headers and cookies; the actions only say what should happen.
 */
import crypto from "node:crypto";

/** The authorization page's state, rendered by public/oauth/authorize.js. */
export interface PageView {
	mode: "login" | "consent" | "error";
	message?: string;
	client?: { name: string };
	scopes?: string[];
	/** The authorization request's parameters, posted back with the form. */
	params?: Record<string, string>;
	csrf?: string;
}

export type OAuthReply =
	| { kind: "json"; status: number; body: Record<string, unknown> }
	| { kind: "redirect"; location: string; session_token?: string }
	| {
			kind: "page";
			status: number;
			view: PageView;
			/**
			 * Where the page's form may lead (the client's
			 * redirect URI), for the CSP `form-action`.
			 */
			redirect_origin?: string;
			session_token?: string;
	  };

export function jsonReply(body: Record<string, unknown>, status = 200): OAuthReply {
	return { kind: "json", status, body };
}

export function pageReply(
	status: number,
	view: PageView,
	extra: Partial<Extract<OAuthReply, { kind: "page" }>> = {},
): OAuthReply {
	return { kind: "page", status, view, ...extra };
}

/** `redirectUri` with `params` added to its query (RFC 6749 §4.1.2 keeps its own query). */
export function redirectTo(
	redirectUri: string,
	params: Record<string, string | undefined>,
	sessionToken?: string,
): OAuthReply {
	const url = new URL(redirectUri);
	for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);

	return {
		kind: "redirect",
		location: url.toString(),
		...(sessionToken ? { session_token: sessionToken } : {}),
	};
}

/**
 * The origin a CSP `form-action` names for a redirect URI (its scheme, for private-use schemes).
 */
export function originOf(uri: string): string {
	const url = new URL(uri);

	return url.origin !== "null" ? url.origin : url.protocol;
}

/**
 * The CSRF token of the authorization page for a browser session: derived from the session
 * cookie, which a cross-site page can neither read nor send along (SameSite=Lax, HttpOnly).
 */
export function csrfOf(sessionToken: string): string {
	return crypto.createHash("sha256").update(`csrf:${sessionToken}`).digest("base64url");
}
