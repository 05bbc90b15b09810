/**
 * The workers' side of `webhook-deliveries`: a lease on one due delivery (`claim`), kept alive
 * while a POST runs (`renew`), given back unused (`release`), and the attempt's outcome
 * (`complete`), which schedules the next retry or declares the delivery dead. Every write is a
 * compare-and-set on the lease, so a worker whose lease expired (and whose delivery another
 * worker took over) changes nothing. Claims arriving together are granted in one write.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../../mixins/db.mixin";
import { systemAuth } from "../../models/context";
import type { ResolvedEndpoint } from "../webhooks.service";
import { Batcher } from "./batcher";
import { type Claim, claimableQuery, iso, LEASE_MS } from "./deliveries";
import {
	type AttemptResult,
	type AttemptState,
	afterAttempt,
	NO_LEASE,
	verdictOf,
} from "./schedule";

interface ClaimRequest {
	id: string;
	owner: string;
}

interface CompleteParams {
	id: string;
	lease: string;
	state: AttemptState;
	result: AttemptResult;
	webhook_id: string;
	organization_id: string;
	consecutive_failures: number;
}

export const leasesMixin: Partial<ServiceSchema> = {
	actions: {
		/** A lease on one due delivery for `owner`, with what the attempt needs; null when not claimable. */
		claim: {
			visibility: "public",
			params: { id: "string", owner: "string" },
			handler(ctx: Context<ClaimRequest>): Promise<Claim | null> {
				return this.claims.add(ctx.params);
			},
		},

		/** Extends a lease while its POST is still running; false when it was lost. */
		renew: {
			visibility: "public",
			params: { id: "string", lease: "string" },
			async handler(ctx: Context<{ id: string; lease: string }>): Promise<boolean> {
				const until = iso(Date.now() + LEASE_MS);
				const changed: number = await this.storeUpdate(
					{ _id: ctx.params.id, lease_owner: ctx.params.lease },
					{ lease_expires_at: until, due_at: until },
				);

				return changed > 0;
			},
		},

		/** Gives a lease back unused (no room for the endpoint), to be offered again after `delay_ms`. */
		release: {
			visibility: "public",
			params: {
				id: "string",
				lease: "string",
				delay_ms: { type: "number", min: 0, max: 60_000 },
			},
			async handler(
				ctx: Context<{ id: string; lease: string; delay_ms: number }>,
			): Promise<void> {
				const next = iso(Date.now() + ctx.params.delay_ms);
				await this.storeUpdate(
					{ _id: ctx.params.id, lease_owner: ctx.params.lease },
					{
						lease_owner: null,
						lease_expires_at: NO_LEASE,
						next_attempt_at: next,
						due_at: next,
					},
				);
				this.settled(ctx.params.id);
			},
		},

		/** Records one attempt's outcome and schedules what follows (next retry, dead, disable). */
		complete: {
			visibility: "public",
			params: {
				id: "string",
				lease: "string",
				state: "object",
				result: "object",
				webhook_id: "string",
				organization_id: "string",
				consecutive_failures: "number",
			},
			handler(ctx: Context<CompleteParams>): Promise<string> {
				return this.completions.add(ctx.params);
			},
		},
	},

	methods: {
		/** Grants the claims of one batch: one compare-and-set write per worker, one read, one endpoint lookup. */
		async claimMany(requests: ClaimRequest[]): Promise<Array<Claim | null>> {
			const key = (owner: string, id: string) => `${owner}\n${id}`;
			const granted = new Map<string, Claim>();
			const owners = [...new Set(requests.map((r) => r.owner))];
			for (const owner of owners) {
				const ids = [
					...new Set(requests.filter((r) => r.owner === owner).map((r) => r.id)),
				];
				for (const claim of await this.grant(owner, ids))
					granted.set(key(owner, claim.id), claim);
			}

			// Each row goes to one request only, even if a duplicate message asked twice.
			return requests.map((r) => {
				const claim = granted.get(key(r.owner, r.id));
				granted.delete(key(r.owner, r.id));
				if (!claim) this.settled(r.id);

				return claim ?? null;
			});
		},

		async grant(owner: string, ids: string[]): Promise<Claim[]> {
			const now = Date.now();
			const lease = `${owner}#${crypto.randomBytes(6).toString("hex")}`;
			const until = iso(now + LEASE_MS);
			await this.storeUpdate(claimableQuery(ids, iso(now)), {
				lease_owner: lease,
				lease_expires_at: until,
				due_at: until,
			});
			const docs: StoredDoc[] = await this.storeFind({
				_id: { $in: ids },
				lease_owner: lease,
			});
			if (docs.length === 0) return [];
			const endpoints: ResolvedEndpoint[] = await this.broker.call("webhooks.resolveMany", {
				ids: [...new Set(docs.map((d) => d.webhook_id as string))],
			});
			const byId = new Map(endpoints.map((e) => [e.id, e]));
			const claims: Claim[] = [];
			for (const doc of docs) {
				const endpoint = byId.get(doc.webhook_id as string);
				if (endpoint?.is_active) claims.push(this.claimOf(doc, lease, endpoint));
				else await this.abandon(doc._id, lease, endpoint);
			}

			return claims;
		},

		claimOf(doc: StoredDoc, lease: string, endpoint: ResolvedEndpoint): Claim {
			return {
				id: doc._id,
				lease,
				organization_id: doc.organization_id as string,
				webhook_id: endpoint.id,
				event_id: doc.event_id as string,
				event_type: doc.event_type as string,
				payload: doc.payload as string,
				attempts: doc.attempts as number,
				round_attempts: doc.round_attempts as number,
				url: endpoint.url,
				secrets: endpoint.secrets,
				retry_config: endpoint.retry_config,
				consecutive_failures: endpoint.consecutive_failures,
			};
		},

		/** A delivery whose endpoint is gone or switched off is dead, with that as its reason. */
		async abandon(
			id: string,
			lease: string,
			endpoint: ResolvedEndpoint | undefined,
		): Promise<void> {
			const reason = !endpoint
				? "The endpoint was deleted"
				: `The endpoint is disabled${endpoint.disabled_reason ? `: ${endpoint.disabled_reason}` : ""}`;
			await this.storeUpdate(
				{ _id: id, lease_owner: lease },
				{
					status: "dead",
					dead_reason: reason,
					lease_owner: null,
					lease_expires_at: NO_LEASE,
					updated_at: iso(Date.now()),
				},
				{ inc: { version: 1 }, unset: ["due_at"] },
			);
		},

		/**
		 * Records a batch of outcomes: rows with the same changes (every success answered alike, say)
		 * take one write, each still guarded by its own lease.
		 */
		async completeMany(items: CompleteParams[]): Promise<string[]> {
			const now = Date.now();
			const outcomes = items.map((p) => afterAttempt(p.state, p.result, now));
			const groups = new Map<string, number[]>();
			outcomes.forEach(({ attempts: _a, round_attempts: _r, ...changes }, i) => {
				const key = JSON.stringify(changes);
				groups.set(key, [...(groups.get(key) ?? []), i]);
			});
			for (const [key, members] of groups) {
				const changes = JSON.parse(key) as Record<string, unknown>;
				const leases = members.map((i) => ({
					_id: items[i].id,
					lease_owner: items[i].lease,
				}));
				const open = changes.status === "failed";
				const changed: number = await this.storeUpdate(
					{ _id: { $in: leases.map((l) => l._id) }, $or: leases },
					{
						...changes,
						...(open ? { due_at: changes.next_attempt_at } : {}),
						updated_at: iso(now),
					},
					{
						inc: { attempts: 1, round_attempts: 1, version: 1 },
						unset: open ? undefined : ["due_at"],
					},
				);
				if (changed < members.length)
					this.logger.warn(
						`${members.length - changed} webhook deliveries lost their lease before their outcome was recorded`,
					);
			}
			items.forEach((p, i) => {
				this.settled(p.id);
				if (outcomes[i].status === "dead")
					this.logger.warn(
						`Webhook delivery ${p.id} is dead: ${outcomes[i].dead_reason}`,
					);
			});
			await this.followUp(items);

			return outcomes.map((o) => o.status);
		},

		/** After attempts: a 410 disables its endpoint; failure streaks follow every change. */
		async followUp(items: CompleteParams[]): Promise<void> {
			const recovered = new Set<string>();
			for (const p of items) {
				const verdict = verdictOf(p.result);
				if (
					verdict === "succeeded" &&
					(p.consecutive_failures === 0 || recovered.has(p.webhook_id))
				)
					continue;
				if (verdict === "succeeded") recovered.add(p.webhook_id);
				const meta = { auth: systemAuth(p.organization_id) };
				const call =
					verdict === "gone"
						? this.broker.call(
								"webhooks.disable",
								{ id: p.webhook_id, reason: "The endpoint answered 410 Gone" },
								{ meta },
							)
						: this.broker.call(
								"webhooks.recordHealth",
								{ id: p.webhook_id, ok: verdict === "succeeded" },
								{ meta },
							);
				await call.catch((err: Error) =>
					this.logger.warn(
						`Webhook ${p.webhook_id}: could not update its health: ${err.message}`,
					),
				);
			}
		},
	},

	created() {
		this.claims = new Batcher<ClaimRequest, Claim | null>((requests) =>
			this.claimMany(requests),
		);
		this.completions = new Batcher<CompleteParams, string>((items) => this.completeMany(items));
	},
};
