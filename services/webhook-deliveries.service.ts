/**
 * Webhook deliveries: one row per (event, endpoint), kept in the store with its whole retry
 * schedule, so neither a crash nor a restart loses or forgets one. This service
 * - fans the event log out into rows, from a cursor it persists, so events recorded while it
 *   was down are caught up;
 * - sends "deliver now" messages on the `webhooks.deliver` channel, for new rows directly and
 *   for due retries, lost messages and expired leases from a poller;
 * - hands out leases to the workers (`claim`) and records each attempt's outcome (`complete`);
 * - answers the deliveries log, `redeliver` and `recover`.
 * On NeDB it runs as one copy (like every data service); its workers scale out.
 */
import type { Context, ServiceSchema } from "moleculer";
import { childResourceMixin } from "../mixins/child-resource.mixin";
import type { StoredDoc } from "../mixins/db.mixin";
import type { DomainEvent } from "../mixins/events.mixin";
import type { Output } from "../mixins/resource/view";
import { config } from "../models/config";
import { type Meta, type RestContext, systemAuth } from "../models/context";
import { ApiError, conflict, type ErrorDetail, validationError } from "../models/errors";
import { EVENT_TYPES } from "../models/event";
import { WebhookDelivery } from "../models/webhook";
import type { ResolvedEndpoint } from "./webhooks.service";
import {
	type Claim,
	claimableQuery,
	iso,
	LEASE_MS,
	newDelivery,
	QUEUE_GRACE_MS,
	QUEUED,
} from "./webhooks/deliveries";
import { dispatchMixin } from "./webhooks/dispatch.mixin";
import {
	type AttemptResult,
	type AttemptState,
	afterAttempt,
	NO_LEASE,
	verdictOf,
} from "./webhooks/schedule";

/** `recover` reaches back at most as far as the event log keeps events. */
const RECOVER_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

interface CompleteParams {
	id: string;
	owner: string;
	state: AttemptState;
	result: AttemptResult;
	webhook_id: string;
	organization_id: string;
	consecutive_failures: number;
}

/** Every event type prefix of the catalogue: a recorded event of any of them starts a fan-out pass. */
const EVENT_LISTENERS = Object.fromEntries(
	[...new Set(EVENT_TYPES.map((t) => t.split(".")[0]))].map((prefix) => [
		`${prefix}.*`,
		{
			handler(this: { scheduleFanOut(): void }) {
				this.scheduleFanOut();
			},
		},
	]),
);

const WebhookDeliveriesService: ServiceSchema = {
	name: "webhook-deliveries",
	// Mixins merge right to left: the store (on the right) connects before the dispatcher starts.
	mixins: [
		dispatchMixin,
		childResourceMixin({
			entity: WebhookDelivery,
			scope: "webhooks",
			indexes: ["lease_owner"],
		}),
	],

	events: EVENT_LISTENERS,

	actions: {
		create: false,
		update: false,
		remove: false,

		/** Sends one delivery again, its schedule from the start (not while it waits for a first attempt). */
		redeliver: {
			scope: "webhooks:write",
			async handler(ctx: RestContext): Promise<Output> {
				const current = await this.loadScoped(ctx, ctx.params.params?.id);
				if (current.status === "pending") {
					throw new ApiError(
						"INVALID_STATE_TRANSITION",
						"The delivery is still waiting for its first attempt",
						{ details: [{ field: "status", message: "is pending", value: "pending" }] },
					);
				}
				await this.assertEndpointActive(ctx, current.webhook_id as string);
				const now = iso(Date.now());
				// Not while an attempt is in flight (leased) or on its way (queued).
				const changed = await this.storeUpdate(
					{ _id: current._id, version: current.version, lease_expires_at: { $lt: now } },
					this.restartSet(now),
					{ version: 1 },
				);
				if (changed === 0)
					throw conflict("The delivery is being attempted right now; retry in a moment");
				this.dispatchSoon();

				return this.toOutput((await this.storeFindOne({ _id: current._id })) as StoredDoc);
			},
		},

		/** Sends again every failed or dead delivery of the endpoint created since `since`. */
		recover: {
			scope: "webhooks:write",
			async handler(
				ctx: RestContext,
			): Promise<{ webhook_id: string; since: string; recovered: number }> {
				const webhookId = ctx.params.params?.webhook_id as string;
				const since = this.sinceOf(ctx.params.body);
				await this.assertEndpointActive(ctx, webhookId);
				const now = iso(Date.now());
				const recovered: number = await this.storeUpdate(
					{
						organization_id: this.orgOf(ctx),
						webhook_id: webhookId,
						status: { $in: ["failed", "dead"] },
						created_at: { $gte: since },
						lease_expires_at: { $lt: now },
					},
					this.restartSet(now),
					{ version: 1 },
				);
				this.dispatchSoon();

				return { webhook_id: webhookId, since, recovered };
			},
		},

		/** Stores the one delivery of a `webhook.test` event, queued for the caller to attempt. */
		enqueue: {
			visibility: "public",
			params: { event: "object", webhook_id: "string" },
			async handler(
				ctx: Context<{ event: DomainEvent; webhook_id: string }>,
			): Promise<string> {
				const now = Date.now();
				const row = newDelivery(
					ctx.params.event,
					ctx.params.webhook_id,
					now,
					now + QUEUE_GRACE_MS,
				);
				await this.insertNew([row]);

				return row._id;
			},
		},

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

		/** Deliveries by status, all organizations (operator REPL `backlog`). */
		backlog: {
			visibility: "public",
			async handler(): Promise<Record<string, number>> {
				const statuses = WebhookDelivery.fields.status.values;
				const counts = await Promise.all(
					statuses.map((status) => this.storeCount({ status })),
				);

				return Object.fromEntries(statuses.map((s, i) => [s, counts[i] as number]));
			},
		},

		/** The latest dead deliveries, of one organization or all (operator REPL `dead-deliveries`). */
		dead: {
			visibility: "public",
			params: {
				organization_id: { type: "string", optional: true },
				limit: { type: "number", optional: true, max: 1000 },
			},
			async handler(
				ctx: Context<{ organization_id?: string; limit?: number }>,
			): Promise<Output[]> {
				const query: Record<string, unknown> = { status: "dead" };
				if (ctx.params.organization_id) query.organization_id = ctx.params.organization_id;
				const docs: StoredDoc[] = await this.storeFind(query, {
					sort: [
						["updated_at", -1],
						["_id", 1],
					],
					limit: ctx.params.limit ?? 50,
				});

				return docs.map((d) => this.toOutput(d));
			},
		},
	},

	methods: {
		/** What a (re)start of the schedule sets: due now, from the first attempt again. */
		restartSet(now: string): Record<string, unknown> {
			return {
				status: "pending",
				round_attempts: 0,
				next_attempt_at: now,
				dead_reason: null,
				lease_owner: null,
				lease_expires_at: NO_LEASE,
				updated_at: now,
			};
		},

		sinceOf(body: unknown): string {
			const given = (body as { since?: unknown } | null)?.since;
			const details: ErrorDetail[] = [];
			const at = typeof given === "string" ? Date.parse(given) : Number.NaN;
			if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(String(given)))
				details.push({
					field: "since",
					message: "must be an RFC 3339 date-time",
					value: given,
				});
			else if (at < Date.now() - RECOVER_WINDOW_MS || at > Date.now())
				details.push({
					field: "since",
					message: "must be within the last 30 days",
					value: given,
				});
			const extra = Object.keys((body as object) ?? {}).filter((k) => k !== "since");
			extra.forEach((field) =>
				details.push({ field, message: "is not a field of a recovery" }),
			);
			if (details.length) throw validationError(details);

			return new Date(at).toISOString();
		},

		async assertEndpointActive(ctx: RestContext, webhookId: string): Promise<void> {
			const [endpoint]: Output[] = await ctx.call("webhooks.findMany", {
				field: "id",
				values: [webhookId],
			});
			if (!endpoint?.is_active)
				throw conflict("The webhook is disabled; enable it before sending again");
		},

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

export default WebhookDeliveriesService;
