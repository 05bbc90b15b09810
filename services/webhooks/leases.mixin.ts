/**
 * The workers' side of `webhook-deliveries`: a claim on one due delivery under the lease its
 * message carries (`claim`), the lease given back unused (`release`), and the attempt's outcome
 * (`complete`), which schedules the next retry or declares the delivery dead. Outcomes are
 * compare-and-set on the lease, so a worker whose lease ran out (and whose delivery was handed
 * out again) changes nothing. Calls arriving together are answered from one read or write.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../../mixins/db.mixin";
import type { DomainEvent } from "../../mixins/events.mixin";
import { systemAuth } from "../../models/context";
import { OPEN_STATUSES } from "../../models/webhook";
import type { ResolvedEndpoint } from "../webhooks.service";
import { Batcher, perList } from "./batcher";
import {
	type Claim,
	CLAIM_MIN_REMAINING_MS,
	type DeliverMessage,
	heldBy,
	iso,
	payloadOf,
} from "./deliveries";
import { type AttemptResult, type AttemptState, afterAttempt, verdictOf } from "./schedule";

interface CompleteParams {
	id: string;
	lease: string;
	state: AttemptState;
	result: AttemptResult;
	webhook_id: string;
	organization_id: string;
	consecutive_failures: number;
}

/** One row a message names, and the node of the worker asking for it. */
interface RowRequest {
	id: string;
	lease: string;
	node: string;
}

export const leasesMixin: Partial<ServiceSchema> = {
	actions: {
		/** The attempts a message's lease still holds: the claimable rows among its ids. */
		claim: {
			visibility: "public",
			params: { lease: "string", ids: { type: "array", items: "string", max: 100 } },
			async handler(ctx: Context<DeliverMessage>): Promise<Claim[]> {
				const { lease, ids } = ctx.params;
				const claims: Array<Claim | null> = await this.claims.add(
					ids.map((id) => ({ id, lease, node: ctx.nodeID })),
				);

				return claims.filter((c): c is Claim => c !== null);
			},
		},

		/**
		 * Gives leases back unused (no room for the
		 * endpoint), to be offered again after `delay_ms`.
		 */
		release: {
			visibility: "public",
			params: {
				lease: "string",
				ids: { type: "array", items: "string", max: 100 },
				delay_ms: { type: "number", min: 0, max: 60_000 },
			},
			async handler(ctx: Context<DeliverMessage & { delay_ms: number }>): Promise<void> {
				const { lease, ids, delay_ms } = ctx.params;
				const next = iso(Date.now() + delay_ms);
				await this.storeUpdate(
					{ _id: { $in: ids }, lease },
					{ lease: null, next_attempt_at: next, due_at: next },
				);
				for (const id of ids) {
					this.inFlight.delete(id);
					this.settled(id);
				}
			},
		},

		/** Records attempts' outcomes and schedules what follows (next retry, dead, disable). */
		complete: {
			visibility: "public",
			params: { items: { type: "array", items: "object", max: 100 } },
			handler(ctx: Context<{ items: CompleteParams[] }>): Promise<string[]> {
				return this.completions.add(ctx.params.items);
			},
		},
	},

	methods: {
		/**
		 * Answers a batch of claims from one read: a row is claimed when the message's lease is
		 * still the row's and enough of it is left for a POST. Usually nothing is written here.
		 */
		async claimMany(requests: RowRequest[]): Promise<Array<Claim | null>> {
			const now = Date.now();
			const docs: StoredDoc[] = await this.storeFind({
				_id: { $in: [...new Set(requests.map((r) => r.id))] },
			});
			const byId = new Map(docs.map((d) => [d._id, d]));
			const held = requests.map((r) => {
				const doc = byId.get(r.id);
				const ok =
					doc?.lease === r.lease &&
					OPEN_STATUSES.includes(doc.status as never) &&
					this.inFlight.get(r.id)?.lease !== r.lease;
				// One claim per lease, even if the same message came twice.
				if (ok) this.inFlight.set(r.id, { lease: r.lease, at: now, node: r.node });

				return ok ? (doc as StoredDoc) : undefined;
			});
			await this.extendShortLeases(
				held.filter((d): d is StoredDoc => d !== undefined),
				now,
			);
			const endpoints = await this.endpointsOf(held);
			const events = await this.eventsOf(held);
			const claims: Array<Claim | null> = [];
			for (const [i, doc] of held.entries()) {
				const endpoint = doc && endpoints.get(doc.webhook_id as string);
				const event = doc && events.get(doc.event_id as string);
				if (doc && endpoint?.is_active && event)
					claims.push(this.claimOf(doc, endpoint, event));
				else {
					if (doc) await this.abandon(doc, endpoint);
					if (doc) this.inFlight.delete(doc._id);
					this.settled(requests[i].id);
					claims.push(null);
				}
			}

			return claims;
		},

		/** Leases that waited long in the channel get time for a whole POST (one write for all). */
		async extendShortLeases(docs: StoredDoc[], now: number): Promise<void> {
			const short = docs.filter(
				(d) => Date.parse(d.due_at as string) - now < CLAIM_MIN_REMAINING_MS,
			);
			if (short.length === 0) return;
			const until = iso(now + CLAIM_MIN_REMAINING_MS);
			const rows = short.map((d) => ({ id: d._id, lease: d.lease as string }));
			await this.storeUpdate(heldBy(rows), { due_at: until });
			short.forEach((d) => (d.due_at = until));
		},

		async endpointsOf(
			docs: Array<StoredDoc | undefined>,
		): Promise<Map<string, ResolvedEndpoint>> {
			const ids = [...new Set(docs.filter(Boolean).map((d) => (d as StoredDoc).webhook_id))];
			if (ids.length === 0) return new Map();
			const endpoints: ResolvedEndpoint[] = await this.broker.call("webhooks.resolveMany", {
				ids,
			});

			return new Map(endpoints.map((e) => [e.id, e]));
		},

		/** The events of these rows from the log, by id. */
		async eventsOf(docs: Array<StoredDoc | undefined>): Promise<Map<string, DomainEvent>> {
			const ids = [...new Set(docs.filter(Boolean).map((d) => (d as StoredDoc).event_id))];
			if (ids.length === 0) return new Map();
			const events: DomainEvent[] = await this.broker.call("events.fetch", { ids });

			return new Map(events.map((e) => [e.id, e]));
		},

		claimOf(doc: StoredDoc, endpoint: ResolvedEndpoint, event: DomainEvent): Claim {
			return {
				id: doc._id,
				lease: doc.lease as string,
				organization_id: doc.organization_id as string,
				webhook_id: endpoint.id,
				event_id: doc.event_id as string,
				event_type: doc.event_type as string,
				payload: payloadOf(event),
				attempts: doc.attempts as number,
				round_attempts: doc.round_attempts as number,
				url: endpoint.url,
				secrets: endpoint.secrets,
				retry_config: endpoint.retry_config,
				consecutive_failures: endpoint.consecutive_failures,
			};
		},

		/**
		 * A delivery whose endpoint is gone or switched off, or whose event left the log, is dead.
		 */
		async abandon(doc: StoredDoc, endpoint: ResolvedEndpoint | undefined): Promise<void> {
			const disabled =
				`The endpoint is ` +
				`disabled${endpoint?.disabled_reason ? `: ${endpoint.disabled_reason}` : ""}`;
			const reason = !endpoint
				? "The endpoint was deleted"
				: !endpoint.is_active
					? disabled
					: "The event is no longer in the event log (kept 30 days)";
			await this.storeUpdate(
				{ _id: doc._id, lease: doc.lease },
				{ status: "dead", dead_reason: reason, lease: null, updated_at: iso(Date.now()) },
				{ inc: { version: 1 }, unset: ["due_at"] },
			);
		},

		/**
		 * Records a batch of outcomes: rows with the same changes (every success
		 * answered alike, say) take one write, each still guarded by its own lease.
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
				const open = changes.status === "failed";
				const changed: number = await this.storeUpdate(
					heldBy(members.map((i) => items[i])),
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
						`${members.length - changed} webhook deliveries lost their lease before ` +
							`their outcome was recorded`,
					);
			}
			items.forEach((p, i) => {
				this.inFlight.delete(p.id);
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
				const id = p.webhook_id;
				if (verdict === "succeeded" && (p.consecutive_failures === 0 || recovered.has(id)))
					continue;
				if (verdict === "succeeded") recovered.add(id);
				const meta = { auth: systemAuth(p.organization_id) };
				const call =
					verdict === "gone"
						? this.broker.call(
								"webhooks.disable",
								{ id, reason: "The endpoint answered 410 Gone" },
								{ meta },
							)
						: this.broker.call(
								"webhooks.recordHealth",
								{ id, ok: verdict === "succeeded" },
								{ meta },
							);
				await call.catch((err: Error) =>
					this.logger.warn(`Webhook ${id}: could not update its health: ${err.message}`),
				);
			}
		},
	},

	created() {
		/**
		 * Deliveries claimed and not yet settled, by id: a second claim under one lease is refused.
		 */
		this.inFlight = new Map<string, { lease: string; at: number; node: string }>();
		this.claims = new Batcher<RowRequest[], Array<Claim | null>>(
			perList((rows: RowRequest[]) => this.claimMany(rows)),
		);
		this.completions = new Batcher<CompleteParams[], string[]>(
			perList((items: CompleteParams[]) => this.completeMany(items)),
		);
	},
};
