/**
 * The workers' side of `webhook-deliveries`: a lease on one due delivery (`claim`), kept alive
 * while a POST runs (`renew`), and the attempt's outcome (`complete`), which schedules the next
 * retry or declares the delivery dead. Every write is a compare-and-set on the lease, so a
 * worker whose lease expired (and whose delivery another worker took over) changes nothing.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../../mixins/db.mixin";
import { type Meta, systemAuth } from "../../models/context";
import type { ResolvedEndpoint } from "../webhooks.service";
import { type Claim, claimableQuery, iso, LEASE_MS, QUEUED } from "./deliveries";
import {
	type AttemptResult,
	type AttemptState,
	afterAttempt,
	NO_LEASE,
	verdictOf,
} from "./schedule";

interface CompleteParams {
	id: string;
	owner: string;
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
			async handler(ctx: Context<{ id: string; owner: string }>): Promise<Claim | null> {
				const { id, owner } = ctx.params;
				const now = Date.now();
				const doc: StoredDoc | undefined = await this.storeFindOneAndUpdate(
					claimableQuery(id, iso(now)),
					{ lease_owner: owner, lease_expires_at: iso(now + LEASE_MS) },
				);
				if (!doc) {
					this.settled(id);

					return null;
				}
				const endpoint: ResolvedEndpoint | null = await ctx.call("webhooks.resolve", {
					id: doc.webhook_id,
				});
				if (!endpoint?.is_active) {
					const reason = endpoint
						? `The endpoint is disabled${endpoint.disabled_reason ? `: ${endpoint.disabled_reason}` : ""}`
						: "The endpoint was deleted";
					await this.storeUpdate(
						{ _id: id, lease_owner: owner },
						{
							status: "dead",
							dead_reason: reason,
							lease_owner: null,
							lease_expires_at: NO_LEASE,
							updated_at: iso(now),
						},
						{ version: 1 },
					);
					this.settled(id);

					return null;
				}

				return {
					id,
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
		},

		/** Extends `owner`'s lease while its POST is still running; false when it was lost. */
		renew: {
			visibility: "public",
			params: { id: "string", owner: "string" },
			async handler(ctx: Context<{ id: string; owner: string }>): Promise<boolean> {
				const changed: number = await this.storeUpdate(
					{ _id: ctx.params.id, lease_owner: ctx.params.owner },
					{ lease_expires_at: iso(Date.now() + LEASE_MS) },
				);

				return changed > 0;
			},
		},

		/** Records one attempt's outcome and schedules what follows (next retry, dead, disable). */
		complete: {
			visibility: "public",
			params: {
				id: "string",
				owner: "string",
				state: "object",
				result: "object",
				webhook_id: "string",
				organization_id: "string",
				consecutive_failures: "number",
			},
			async handler(ctx: Context<CompleteParams, Meta>): Promise<string | null> {
				const { id, owner, state, result } = ctx.params;
				const now = Date.now();
				const set = afterAttempt(state, result, now);
				const { attempts: _total, ...rest } = set;
				const changed: number = await this.storeUpdate(
					{ _id: id, lease_owner: owner },
					{ ...rest, updated_at: iso(now) },
					{ attempts: 1, version: 1 },
				);
				this.settled(id);
				if (changed === 0) {
					this.logger.warn(
						`Webhook delivery ${id}: lease lost before its outcome was recorded`,
					);

					return null;
				}
				if (set.status === "dead")
					this.logger.warn(`Webhook delivery ${id} is dead: ${set.dead_reason}`);
				await this.followUp(ctx, verdictOf(result));

				return set.status;
			},
		},

		/** Puts back a queued delivery a worker had no room for, to be sent again after `delay_ms`. */
		defer: {
			visibility: "public",
			params: { id: "string", delay_ms: { type: "number", min: 0, max: 60_000 } },
			async handler(ctx: Context<{ id: string; delay_ms: number }>): Promise<void> {
				const now = Date.now();
				await this.storeUpdate(
					{ _id: ctx.params.id, lease_owner: QUEUED },
					{
						lease_owner: null,
						lease_expires_at: NO_LEASE,
						next_attempt_at: iso(now + ctx.params.delay_ms),
					},
				);
				this.settled(ctx.params.id);
			},
		},
	},

	methods: {
		/** After an attempt: a 410 disables the endpoint; the failure streak follows every change. */
		async followUp(ctx: Context<CompleteParams, Meta>, verdict: string): Promise<void> {
			const {
				webhook_id: id,
				organization_id: org,
				consecutive_failures: streak,
			} = ctx.params;
			const meta = { auth: systemAuth(org) };
			try {
				if (verdict === "gone") {
					const reason = "The endpoint answered 410 Gone";
					await ctx.call("webhooks.disable", { id, reason }, { meta });
				} else if (verdict === "retry" || streak > 0) {
					await ctx.call(
						"webhooks.recordHealth",
						{ id, ok: verdict === "succeeded" },
						{ meta },
					);
				}
			} catch (err) {
				this.logger.warn(
					`Webhook ${id}: could not update its health: ${(err as Error).message}`,
				);
			}
		},
	},
};
