/**
 * What every action knows about its caller. The gateway (REST, GraphQL, socket.io) builds the
 * `auth` part from the credential; domain services read the organization from here only,
 * never from params.
 */
import type { Context } from "moleculer";

export type ActorType = "user" | "api_key" | "oauth_client" | "system";

export interface Actor {
	type: ActorType;
	id: string;
}

export interface Auth {
	organization_id: string;
	actor: Actor;
	/** `<resource>:read` / `<resource>:write`, or `*` for the owner and for system calls. */
	scopes: string[];
	user_id?: string;
	api_key_id?: string;
	session_id?: string;
	/** The caller's rate limit per hour (plan quota or the key's own override). */
	rate_limit_per_hour?: number;
	/** When the credential stops being valid (RFC 3339), if it does; caches never outlive it. */
	expires_at?: string;
}

export interface Meta {
	auth?: Auth;
	requestId?: string;
	/** The client's address (the peer, or `X-Forwarded-For` behind a trusted proxy). */
	clientIp?: string;
	/** The client's `User-Agent`, for the device list of sessions. */
	userAgent?: string;
	/** moleculer-web response controls, set by the gateway only. */
	$statusCode?: number;
	$location?: string;
	$responseType?: string;
	$responseHeaders?: Record<string, string>;
	/** Path and query of a stream action (moleculer-web puts them here, not in params). */
	$params?: RestParams;
	/**
	 * The gateway's public base URL (PUBLIC_URL, else from the request), for links it hands out.
	 */
	publicUrl?: string;
	/** A streamed request body (raw routes): its media type, declared length and limit. */
	upload?: { content_type: string; content_length?: number; limit: number };
	/** false: read from the store, not the cache (the client sent `Cache-Control: no-cache`). */
	$cache?: boolean;
}

/** The params of an action reached over REST: path parameters, query string and body. */
export interface RestParams<B = unknown> {
	params?: Record<string, string>;
	query?: Record<string, unknown>;
	body?: B;
	/** The `If-Match` header, for writes guarded by an ETag. */
	if_match?: string;
	/** Lists also return each row's cursor (GraphQL edges). Set internally, never from a URL. */
	row_cursors?: boolean;
}

export type RestContext<B = unknown> = Context<RestParams<B>, Meta>;

/** The identity of background work (schedulers, imports of the system itself). */
export function systemAuth(organizationId: string): Auth {
	return {
		organization_id: organizationId,
		actor: { type: "system", id: "system" },
		scopes: ["*"],
	};
}
