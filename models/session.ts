/**
 * A session is one grant of access: a password sign-in, an OAuth authorization (from its code
 * through every rotation of its refresh token: the "family" of RFC 9700 §4.14.2), or a client
 * credentials grant. Every access token names its session (`sid`), and is good only while the
 * session is active, so ending a session ends its tokens at once, on every node.
 */
import { defineEntity, type RecordOf } from "./entity";

export const SESSION_KINDS = ["password", "authorization_code", "client_credentials"] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

export const SESSION_STATUSES = ["pending", "active", "revoked"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const Session = defineEntity({
	name: "session",
	plural: "sessions",
	defaultSort: "created_at:desc",
	fields: {
		kind: { type: "enum", values: SESSION_KINDS, readOnly: true, filter: true },
		status: { type: "enum", values: SESSION_STATUSES, readOnly: true, filter: true },
		user_id: { type: "string", readOnly: true, filter: true, index: true },
		client_id: { type: "string", readOnly: true, filter: true },
		scopes: { type: "list", items: "string", readOnly: true },
		device_name: { type: "string", max: 200 },
		user_agent: { type: "string", readOnly: true },
		ip_address: { type: "string", readOnly: true },
		/** When the refresh token stops working unless rotated (idle and absolute limits). */
		expires_at: { type: "datetime", readOnly: true },
		last_used_at: { type: "datetime", readOnly: true },
		revoked_at: { type: "datetime", readOnly: true },
		revoke_reason: { type: "string", readOnly: true },
		refresh_hash: { type: "string", readOnly: true, secret: true, index: true },
		/**
		 * Hashes of rotated-out refresh tokens: presenting one again is reuse (RFC 9700 §4.14.2).
		 */
		used_refresh_hashes: {
			type: "list",
			items: "string",
			readOnly: true,
			secret: true,
			index: true,
		},
		code_hash: { type: "string", readOnly: true, secret: true, index: true },
		code_challenge: { type: "string", readOnly: true, secret: true },
		code_expires_at: { type: "datetime", readOnly: true, secret: true },
		code_used_at: { type: "datetime", readOnly: true, secret: true },
		redirect_uri: { type: "string", readOnly: true },
	},
});
export type SessionRecord = RecordOf<typeof Session>;

/** What a token endpoint or sign-in answers (RFC 6749 §5.1). */
export interface TokenPair {
	access_token: string;
	token_type: "Bearer";
	expires_in: number;
	refresh_token?: string;
	scope: string;
}
