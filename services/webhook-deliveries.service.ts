/**
 * Webhook deliveries: one row per (event, endpoint), kept in the store with its whole retry
 * schedule, so neither a crash nor a restart loses or forgets one. This service
 * - fans the event log out into rows, from a cursor it persists, so events recorded while it
 *   was down are caught up;
 * - sends "deliver now" messages on the `webhooks.deliver` channel, for new rows directly and
 *   for due retries, lost messages and expired leases from a poller;
 * - hands out leases to the workers and records each attempt's outcome (leases.mixin.ts);
 * - answers the deliveries log, `redeliver` and `recover`.
 * On NeDB it runs as one copy (like every data service); its workers scale out.
 */
import type { Context, ServiceSchema } from "moleculer";
import { childResourceMixin } from "../mixins/child-resource.mixin";
import type { StoredDoc } from "../mixins/db.mixin";
import type { DomainEvent } from "../mixins/events.mixin";
import type { Output } from "../mixins/resource/view";
import { type RestContext, systemAuth } from "../models/context";
import { ApiError, conflict, type ErrorDetail, notFound, validationError } from "../models/errors";
import { EVENT_TYPES } from "../models/event";
import { WebhookDelivery } from "../models/webhook";
import { type DeliverMessage, iso, newDelivery, newLease } from "./webhooks/deliveries";
import { dispatchMixin } from "./webhooks/dispatch.mixin";
import { leasesMixin } from "./webhooks/leases.mixin";

/** Deliveries are kept as long as the event log keeps events; `recover` reaches back as far. */
const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Every event type prefix of the catalogue: a recorded event of any of them starts a fan-out pass.
 */
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
		leasesMixin,
		childResourceMixin({
			entity: WebhookDelivery,
			scope: "webhooks",
			// Rows are rewritten several times per delivery; see WebhookDelivery.
			scopeIndex: false,
			indexes: [{ field: "due_at", sparse: true }],
		}),
	],

	events: EVENT_LISTENERS,

	actions: {
		create: false,
		update: false,
		remove: false,

		/**
		 * Sends one delivery again, its schedule from the
		 * start (not while it waits for a first attempt).
		 */
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
				// Not while a lease is out (a message on its way, or an attempt in flight).
				const changed = await this.storeUpdate(
					{ _id: current._id, version: current.version, lease: null },
					this.restartSet(now),
					{ inc: { version: 1 } },
				);
				if (changed === 0)
					throw conflict("The delivery is being attempted right now; retry in a moment");
				this.dispatchSoon();

				return this.toOutput((await this.storeFindOne({ _id: current._id })) as StoredDoc);
			},
		},

		/** Operator (REPL): dead deliveries of one organization or of all, newest first. */
		listDead: {
			visibility: "public",
			params: {
				organization_id: { type: "string", optional: true },
				limit: { type: "number", integer: true, min: 1, max: 1000, optional: true },
			},
			async handler(
				ctx: Context<{ organization_id?: string; limit?: number }>,
			): Promise<Output[]> {
				const { organization_id: org, limit = 100 } = ctx.params;
				const query = { status: "dead", ...(org ? { organization_id: org } : {}) };
				const docs: StoredDoc[] = await this.storeFind(query, {
					sort: [
						["updated_at", -1],
						["_id", 1],
					],
					limit,
				});

				return docs.map((d) => this.toOutput(d));
			},
		},

		/** Operator (REPL): `redeliver` of any organization's delivery, done as the system. */
		redeliverAny: {
			visibility: "public",
			params: { id: { type: "string", max: 100 } },
			async handler(ctx: Context<{ id: string }>): Promise<Output> {
				const doc: StoredDoc | undefined = await this.storeFindOne({ _id: ctx.params.id });
				if (!doc) throw notFound("delivery");
				const params = { webhook_id: doc.webhook_id as string, id: doc._id };

				return ctx.call(
					"webhook-deliveries.redeliver",
					{ params },
					{ meta: { auth: systemAuth(doc.organization_id as string) } },
				);
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
						lease: null,
					},
					this.restartSet(now),
					{ inc: { version: 1 } },
				);
				this.dispatchSoon();

				return { webhook_id: webhookId, since, recovered };
			},
		},

		/**
		 * Stores the one delivery of a `webhook.test` event, leased to the caller, who attempts it.
		 */
		enqueue: {
			visibility: "public",
			params: { event: "object", webhook_id: "string" },
			async handler(
				ctx: Context<{ event: DomainEvent; webhook_id: string }>,
			): Promise<DeliverMessage> {
				const lease = newLease();
				const row = newDelivery(ctx.params.event, ctx.params.webhook_id, Date.now(), lease);
				await this.insertNew([row]);

				return { lease, ids: [row._id] };
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
	},

	methods: {
		/** What a (re)start of the schedule sets: due now, from the first attempt again. */
		restartSet(now: string): Record<string, unknown> {
			return {
				status: "pending",
				round_attempts: 0,
				next_attempt_at: now,
				dead_reason: null,
				lease: null,
				due_at: now,
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
			else if (at < Date.now() - RETENTION_MS || at > Date.now())
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

		/** Removes settled deliveries older than the retention (open ones stay, however old). */
		async sweep(): Promise<void> {
			const cutoff = iso(Date.now() - RETENTION_MS);
			const removed: number = await this.storeRemove({
				due_at: { $exists: false },
				updated_at: { $lt: cutoff },
			});
			if (removed)
				this.logger.info(`Webhook deliveries: removed ${removed} older than 30 days`);
		},

		async assertEndpointActive(ctx: RestContext, webhookId: string): Promise<void> {
			const [endpoint]: Output[] = await ctx.call("webhooks.findMany", {
				field: "id",
				values: [webhookId],
			});
			if (!endpoint?.is_active)
				throw conflict("The webhook is disabled; enable it before sending again");
		},
	},

	started() {
		this.sweepTimer = setInterval(() => {
			this.sweep().catch((err: Error) =>
				this.logger.warn(`Webhook deliveries sweep failed: ${err.message}`),
			);
		}, SWEEP_INTERVAL_MS);
		this.sweepTimer.unref();
	},

	stopped() {
		clearInterval(this.sweepTimer);
	},
};

export default WebhookDeliveriesService;
