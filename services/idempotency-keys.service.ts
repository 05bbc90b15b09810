/**
 * Idempotency keys in the store, for gateways without REDIS_URL (the gateway keeps them in
 * Redis when it has one). A key is claimed by the first request that carries it, held while that
 * request runs, and then keeps its response for 24 hours so a retry gets the same answer.
 * On NeDB this service runs as one copy and claims are serialized per key in the process; on
 * MongoDB the unique `_id` decides between two copies.
 */
import type { Context, ServiceSchema } from "moleculer";
import { type StoredDoc, storeMixin } from "../mixins/db.mixin";
import { KeyedLock } from "../mixins/resource/keyed-lock";
import { ApiError } from "../models/errors";

const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface StoredResponse {
	status: number;
	headers: Record<string, string>;
	/** The JSON text of the body (NeDB refuses field names with dots, which bodies may have). */
	body: string;
}

/** What a claim found: the key is now the caller's, or what the first request left. */
export type ClaimResult =
	{ claimed: true } | { claimed: false; fingerprint: string; response?: StoredResponse };

interface ClaimParams {
	id: string;
	fingerprint: string;
	lock_ms: number;
	ttl_ms: number;
}

const IdempotencyKeysService: ServiceSchema = {
	name: "idempotency-keys",
	mixins: [storeMixin({ collection: "idempotency-keys", indexes: ["expires_at"] })],

	actions: {
		claim: {
			visibility: "public",
			params: {
				id: { type: "string", max: 100 },
				fingerprint: { type: "string", max: 100 },
				lock_ms: { type: "number", integer: true, positive: true },
				ttl_ms: { type: "number", integer: true, positive: true },
			},
			handler(ctx: Context<ClaimParams>): Promise<ClaimResult> {
				const { id } = ctx.params;

				return this.locks.run([id], () => this.claimOnce(ctx.params));
			},
		},

		complete: {
			visibility: "public",
			async handler(
				ctx: Context<{ id: string; response: StoredResponse; ttl_ms: number }>,
			): Promise<void> {
				const { id, response, ttl_ms } = ctx.params;
				await this.storeUpdate({ _id: id }, { response, expires_at: Date.now() + ttl_ms });
			},
		},

		release: {
			visibility: "public",
			async handler(ctx: Context<{ id: string }>): Promise<void> {
				await this.storeRemove({ _id: ctx.params.id, response: { $exists: false } });
			},
		},
	},

	methods: {
		async claimOnce(params: ClaimParams): Promise<ClaimResult> {
			const now = Date.now();
			const doc: StoredDoc | undefined = await this.storeFindOne({ _id: params.id });
			const fresh = {
				fingerprint: params.fingerprint,
				locked_until: now + params.lock_ms,
				expires_at: now + params.ttl_ms,
			};
			if (!doc) return this.insertClaim({ _id: params.id, ...fresh });

			// A response past its 24 h, or a request that died holding the key, frees it.
			const stale = doc.response
				? (doc.expires_at as number) <= now
				: (doc.locked_until as number) <= now;
			if (stale) {
				await this.storeRemove({ _id: params.id });

				return this.insertClaim({ _id: params.id, ...fresh });
			}

			return {
				claimed: false,
				fingerprint: doc.fingerprint as string,
				response: doc.response as StoredResponse | undefined,
			};
		},

		async insertClaim(doc: StoredDoc): Promise<ClaimResult> {
			try {
				await this.storeInsert(doc);
			} catch (err) {
				// Another copy of this service (MongoDB) claimed it between our read and insert.
				if (err instanceof ApiError && err.type === "CONFLICT")
					return { claimed: false, fingerprint: doc.fingerprint as string };
				throw err;
			}

			return { claimed: true };
		},

		async sweep(): Promise<void> {
			await this.storeRemove({ expires_at: { $lte: Date.now() } });
		},
	},

	created() {
		this.locks = new KeyedLock();
	},

	started() {
		this.sweepTimer = setInterval(() => {
			this.sweep().catch((err: Error) =>
				this.logger.warn(`Idempotency key sweep failed: ${err.message}`),
			);
		}, SWEEP_INTERVAL_MS);
		this.sweepTimer.unref();
	},

	stopped() {
		clearInterval(this.sweepTimer);
	},
};

export default IdempotencyKeysService;
