/**
 * API key lookups remembered by a gateway node, so a request costs no `api-keys.authenticate`
 * and `organizations.resolve` calls, without ever outliving a revocation.
 *
 * An entry holds the organization's generation stamp of the `api-keys` and `organizations`
 * collections (mixins/resource/cache.ts) and is used only while that stamp is unchanged. Every
 * write to a key or to its organization (revocation, new scopes, a new plan) bumps the stamp
 * before it is acknowledged, so the next request on any node looks the key up again. This holds
 * only where all nodes read the same generations (Redis cacher, or one process); otherwise every
 * request looks the key up. Entries also end with the key's expiry, and after a minute, which is
 * the resolution of `last_used_at` (recorded by the lookup).
 */
import crypto from "node:crypto";
import type { Context } from "moleculer";
import { readCache } from "../../mixins/resource/cache";
import { config } from "../../models/config";
import type { Auth } from "../../models/context";

const COLLECTIONS = ["api-keys", "organizations"];
const ENTRY_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Entry {
	auth: Auth;
	stamp: string;
	until: number;
}

const entries = new Map<string, Entry>();

function lookup(ctx: Context, key: string): Promise<Auth> {
	return ctx.call<Auth, { key: string }>("api-keys.authenticate", { key });
}

function remember(id: string, entry: Entry): void {
	// Oldest first out: a Map iterates in insertion order.
	if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
	entries.set(id, entry);
}

/** The caller behind an API key: from this node's memory while nothing changed, else looked up. */
export async function authenticateKey(ctx: Context, key: string): Promise<Auth> {
	const cache = readCache(ctx.broker, config().cacheTtlSeconds);
	if (!cache.shared) return lookup(ctx, key);
	// Entries are found by a digest: the node's memory holds no usable key.
	const id = crypto.hash
		? crypto.hash("sha256", key, "base64url")
		: crypto.createHash("sha256").update(key).digest("base64url");
	const now = Date.now();
	const entry = entries.get(id);
	if (entry && entry.until > now) {
		const stamp = await cache.stamp(entry.auth.organization_id, COLLECTIONS);
		if (stamp === entry.stamp) return entry.auth;
	}
	entries.delete(id);

	// The stamp is read between two lookups: a write before it shows in the second lookup, a
	// write after it changes the stamp. Only a miss pays this.
	const first = await lookup(ctx, key);
	const stamp = await cache.stamp(first.organization_id, COLLECTIONS);
	const auth = await lookup(ctx, key);
	const expires = auth.expires_at ? Date.parse(auth.expires_at) : Infinity;
	remember(id, { auth, stamp, until: Math.min(now + ENTRY_MS, expires) });

	return auth;
}
