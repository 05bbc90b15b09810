/**
 * Read caching for the resource mixin on Moleculer's cacher (memory by default, Redis with
 * CACHER=redis://…), invalidated without ever listing keys.
 *
 * Every collection has a generation number per organization (and one for writes that span
 * organizations). A write bumps its generation before it is acknowledged; a read's key holds the
 * generations of its collection and of every collection it embeds (`include`), so after a write
 * no node can find the entries made before it: they are never read again and simply expire. With
 * the Redis cacher the generations live in Redis too, so this holds across nodes; with the memory
 * cacher they live in the process, which is exact in the embedded default (and wherever a
 * collection's writers and readers share a node); a cluster with several copies of a data
 * service needs CACHER=redis.
 */
import crypto from "node:crypto";
import type { Cacher, ServiceBroker } from "moleculer";
import type Redis from "ioredis";

/** The generation of writes that did not name one organization. */
export const ALL_ORGANIZATIONS = "*";

interface Generations {
	read(keys: string[]): Promise<string[]>;
	bump(key: string): Promise<void>;
}

function memoryGenerations(): Generations {
	const counters = new Map<string, number>();

	return {
		async read(keys) {
			return keys.map((k) => String(counters.get(k) ?? 0));
		},
		async bump(key) {
			counters.set(key, (counters.get(key) ?? 0) + 1);
		},
	};
}

/**
 * In Redis beside the cached entries, under the cacher's namespaced prefix. Generations never
 * expire: a counter that vanished and restarted could meet entries of its earlier life.
 */
function redisGenerations(client: Redis, prefix: string): Generations {
	return {
		async read(keys) {
			const values = await client.mget(keys.map((k) => prefix + k));

			return values.map((v) => v ?? "0");
		},
		async bump(key) {
			await client.incr(prefix + key);
		},
	};
}

export interface CachedRead {
	org: string;
	collection: string;
	embeds: readonly string[];
	/** Everything the result depends on besides the organization: action, ids, query. */
	what: string;
	fresh?: boolean;
}

export interface ReadCache {
	/**
	 * The cached result of a read of `collection` (embedding `embeds`), or `load()`'s, which is
	 * then cached. `fresh` skips the lookup (the client sent `Cache-Control: no-cache`).
	 */
	read<T>(read: CachedRead, load: () => Promise<T>): Promise<T>;
	/** Makes every cached read of `collection` for `org` (or for all organizations) unreachable. */
	invalidate(org: string | undefined, collection: string): Promise<void>;
	/**
	 * The generations of `collections` for `org`, as one string: it changes with every write to
	 * them. For caches kept elsewhere (the gateway's credential cache) that must never outlive one.
	 */
	stamp(org: string, collections: readonly string[]): Promise<string>;
	/** Whether every node reads the same generations (Redis cacher, or a single process). */
	shared: boolean;
}

function generationKey(collection: string, org: string): string {
	return `gen:${collection}:${org}`;
}

/** A fixed-length stand-in for long read descriptions; short ones are cheaper kept as they are. */
function digest(what: string): string {
	return what.length <= 256 ? what : crypto.createHash("sha1").update(what).digest("base64url");
}

function createReadCache(broker: ServiceBroker, ttlSeconds: number): ReadCache {
	const cacher = broker.cacher as (Cacher & { client?: Redis; prefix?: string }) | undefined;
	const generations =
		cacher?.client && cacher.prefix !== undefined
			? redisGenerations(cacher.client, cacher.prefix)
			: memoryGenerations();

	return {
		shared: Boolean(cacher?.client) || !broker.transit,

		stamp(org, collections) {
			const keys: string[] = [];
			for (const c of collections)
				keys.push(generationKey(c, org), generationKey(c, ALL_ORGANIZATIONS));

			return generations.read(keys).then((gens) => gens.join("."));
		},

		async read<T>(read: CachedRead, load: () => Promise<T>): Promise<T> {
			if (!cacher || ttlSeconds === 0) return load();
			const { org, collection } = read;
			const gens = await this.stamp(org, [collection, ...read.embeds]);
			const key = `res:${collection}:${org}:${gens}:${digest(read.what)}`;
			const hit = read.fresh ? null : await cacher.get(key);
			if (hit !== null && hit !== undefined) return hit as T;
			const value = await load();
			await cacher.set(key, value, ttlSeconds);

			return value;
		},

		async invalidate(org, collection) {
			await generations.bump(generationKey(collection, org ?? ALL_ORGANIZATIONS));
		},
	};
}

const caches = new WeakMap<ServiceBroker, ReadCache>();

/** The read cache of a broker (one per broker, shared by its resource services). */
export function readCache(broker: ServiceBroker, ttlSeconds: number): ReadCache {
	let cache = caches.get(broker);
	if (!cache) {
		cache = createReadCache(broker, ttlSeconds);
		caches.set(broker, cache);
	}

	return cache;
}
