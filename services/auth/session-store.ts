/**
 * The sessions service's own storage steps, shared by sign-in and the OAuth grants: creating a
 * session, issuing its tokens (rotating the refresh token as a compare-and-set), and ending it.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../../mixins/db.mixin";
import type { Output } from "../../mixins/resource/view";
import type { Auth, Meta } from "../../models/context";
import { REFRESH_ABSOLUTE_MS, REFRESH_IDLE_MS } from "../../models/oauth";
import { Session, type SessionKind, type TokenPair } from "../../models/session";
import type { SignedToken } from "../tokens.service";
import { hashSecret, newSecret, SECRET_PREFIXES } from "./secrets";

export interface NewSession {
	kind: SessionKind;
	status: "pending" | "active";
	organization_id: string;
	user_id?: string | null;
	client_id?: string | null;
	scopes: string[];
	device_name?: string | null;
	[field: string]: unknown;
}

/** Rotated-out refresh hashes kept per family for reuse detection. */
const USED_HASHES_KEPT = 100;

export const SessionStore: Partial<ServiceSchema> = {
	methods: {
		async insertSession(ctx: Context<unknown, Meta>, fields: NewSession): Promise<StoredDoc> {
			const now = new Date().toISOString();
			const blank = Object.fromEntries(Object.keys(Session.fields).map((k) => [k, null]));

			return this.storeInsert({
				...blank,
				user_id: null,
				client_id: null,
				...fields,
				_id: crypto.randomUUID(),
				used_refresh_hashes: [],
				user_agent: ctx.meta.userAgent?.slice(0, 300) ?? null,
				ip_address: ctx.meta.clientIp ?? null,
				version: 1,
				created_at: now,
				updated_at: now,
			});
		},

		/**
		 * An access token (and, with `withRefresh`, a new refresh token) for an active session.
		 * The rotation is a compare-and-set on the current refresh hash: of two requests holding
		 * the same refresh token only one wins; `false` tells the caller it lost.
		 */
		async issueTokens(
			ctx: Context<unknown, Meta>,
			session: StoredDoc,
			withRefresh: boolean,
		): Promise<TokenPair | false> {
			const now = Date.now();
			const set: Record<string, unknown> = {
				last_used_at: new Date(now).toISOString(),
				status: "active",
			};
			let refresh: string | undefined;
			if (withRefresh) {
				refresh = newSecret(SECRET_PREFIXES.refreshToken);
				const absolute = Date.parse(session.created_at as string) + REFRESH_ABSOLUTE_MS;
				set.refresh_hash = hashSecret(refresh);
				set.expires_at = new Date(Math.min(now + REFRESH_IDLE_MS, absolute)).toISOString();
				if (session.refresh_hash)
					set.used_refresh_hashes = [
						...((session.used_refresh_hashes as string[]) ?? []),
						session.refresh_hash,
					].slice(-USED_HASHES_KEPT);
			}
			const changed = await this.storeUpdate(
				{
					_id: session._id,
					status: session.status,
					refresh_hash: session.refresh_hash ?? null,
				},
				set,
			);
			if (changed === 0) return false;
			const scopes = session.scopes as string[];
			const signed: SignedToken = await ctx.call("tokens.sign", {
				sub: (session.user_id ?? session.client_id) as string,
				org_id: session.organization_id,
				scope: scopes.join(" "),
				sid: session._id,
				...(session.client_id ? { client_id: session.client_id } : {}),
			});

			return {
				...signed,
				...(refresh ? { refresh_token: refresh } : {}),
				scope: scopes.join(" "),
			};
		},

		async revoke(doc: StoredDoc, reason: string): Promise<void> {
			await this.storeUpdate(
				{ _id: doc._id },
				{ status: "revoked", revoked_at: new Date().toISOString(), revoke_reason: reason },
			);
		},

		authOf(session: StoredDoc): Auth {
			const userId = session.user_id as string | null;

			return {
				organization_id: session.organization_id as string,
				actor: userId
					? { type: "user", id: userId }
					: { type: "oauth_client", id: session.client_id as string },
				scopes: session.scopes as string[],
				...(userId ? { user_id: userId } : {}),
				session_id: session._id,
			};
		},

		/** Records an event on behalf of `auth` (sign-in has no caller yet). */
		async publishAs(
			ctx: Context<unknown, Meta>,
			auth: Auth,
			type: string,
			object: Output,
		): Promise<void> {
			const previous = ctx.meta.auth;
			ctx.meta.auth = auth;
			try {
				await this.publishEvent(ctx, type, object);
			} finally {
				ctx.meta.auth = previous;
			}
		},
	},
};
