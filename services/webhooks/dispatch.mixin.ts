/**
 * The moving parts of `webhook-deliveries`: fan-out from the event log into rows, and sending
 * "deliver now" messages for them.
 *
 * Fan-out reads the log after a cursor kept in the store, so it catches up on whatever was
 * recorded while it was down; the deterministic row ids make a repeated pass harmless. Each
 * recorded event (broadcast by the events service) starts a pass at once; a timer is the
 * backstop.
 *
 * Channels carry only "deliver these rows under this lease" messages, never more rows at once
 * than the workers can take in (the in-process adapter drops what overflows its queue): rows
 * beyond that wait, due, for the poller. The poller also finds due retries and rows whose lease
 * ran out (a message lost with a node, a worker killed mid-POST): the store decides what is due,
 * never the channel. A worker node that leaves the cluster has its claims made due at once.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../../mixins/db.mixin";
import type { DomainEvent } from "../../mixins/events.mixin";
import { config } from "../../models/config";
import { ApiError } from "../../models/errors";
import { Coalescer } from "./coalescer";
import {
	DELIVER_CHANNEL,
	type DeliverMessage,
	deliveryPairs,
	dueQuery,
	type EndpointSummary,
	heldBy,
	iso,
	LEASE_MS,
	MESSAGE_ROWS,
	newDelivery,
	newLease,
	STREAM_MAX_LEN,
} from "./deliveries";

/** Events read from the log per fan-out step. */
const FAN_OUT_BATCH = 500;
const FAN_OUT_POLL_MS = 2000;

/** How often the store is asked for due rows, and the most sent per ask. */
const POLL_MS = 500;
const DISPATCH_BATCH = 500;

/** After a failed send, the channel is left alone this long (its rows are kept for the poller). */
const SEND_BACKOFF_MS = 2000;

/** The fan-out cursor lives beside the rows; it has no organization, so no client query sees it. */
const CURSOR_ID = "fan-out-cursor";

/**
 * Rows on their way at once. In-process, a node's channel handles 100 messages (of up to
 * MESSAGE_ROWS rows) and queues 1,000 more (the broker's bulkhead) before dropping; a Redis
 * stream holds far more.
 */
function maxOutstanding(): number {
	return config().channelsUrl ? 20_000 : 2000;
}

export const dispatchMixin: Partial<ServiceSchema> = {
	events: {
		/**
		 * A worker node gone without settling its claims (SIGKILL, a lost host) will never record
		 * their outcomes: they are due again now, not when their lease runs out. Any worker left
		 * takes them over, under a new lease, with the same webhook-id.
		 */
		"$node.disconnected": {
			handler(ctx: Context<{ node: { id: string } }>): Promise<void> {
				return this.releaseClaimsOf(ctx.params.node.id);
			},
		},
	},

	methods: {
		/** A message is done with (claimed, completed or refused): room for another. */
		settled(id: string): void {
			this.outstanding.delete(id);
			if (this.moreDue && this.outstanding.size < this.maxOutstanding / 2)
				this.dispatcher.trigger();
		},

		room(): number {
			if (Date.now() < this.sendBlockedUntil || !this.workersListen()) return 0;

			return Math.max(this.maxOutstanding - this.outstanding.size, 0);
		},

		/**
		 * Whether a message sent now reaches a worker. A Redis stream keeps messages until a worker
		 * reads them; the in-process adapter emits a balanced event, which is dropped while no
		 * worker has subscribed yet (at start-up, or with no worker node up).
		 */
		workersListen(): boolean {
			if (config().channelsUrl) return true;

			return this.broker.hasEventListener(
				`channels.${config().namespace}.${DELIVER_CHANNEL}`,
			);
		},

		scheduleFanOut(): void {
			// Before `started` has read the cursor, a pass
			// would start from the beginning of the log.
			if (this.timers) this.fanOut.trigger();
		},

		dispatchSoon(): void {
			this.dispatcher.trigger();
		},

		async fanOutPass(): Promise<void> {
			for (;;) {
				const events: DomainEvent[] = await this.broker.call("events.scan", {
					after_id: this.cursor,
					limit: FAN_OUT_BATCH,
				});
				if (events.length === 0) return;
				await this.fanOutBatch(events);
				this.cursor = events[events.length - 1].id;
				await this.storeUpdate({ _id: CURSOR_ID }, { after_id: this.cursor });
				if (events.length < FAN_OUT_BATCH) return;
			}
		},

		async fanOutBatch(events: DomainEvent[]): Promise<void> {
			const organizations = [...new Set(events.map((e) => e.organization_id))];
			const endpoints: EndpointSummary[] = await this.broker.call("webhooks.activeFor", {
				organization_ids: organizations,
			});
			const pairs = deliveryPairs(events, endpoints);
			if (pairs.length === 0) return;
			const now = Date.now();
			let room = this.room();
			const lease = newLease();
			const rows = pairs.map(([event, webhookId]) =>
				newDelivery(event, webhookId, now, room-- > 0 ? lease : undefined),
			);
			if (room < 0) this.moreDue = true;
			const inserted: StoredDoc[] = await this.insertNew(rows);
			await this.send(inserted.filter((r) => r.lease !== null));
		},

		/** Inserts the rows not stored yet (a repeated pass, another copy) and returns those. */
		async insertNew(rows: StoredDoc[]): Promise<StoredDoc[]> {
			const existing: StoredDoc[] = await this.storeFind({
				_id: { $in: rows.map((r) => r._id) },
			});
			const seen = new Set(existing.map((d) => d._id));
			const fresh = rows.filter((r) => !seen.has(r._id));
			try {
				await this.storeInsertMany(fresh);

				return fresh;
			} catch (err) {
				if ((err as ApiError).type !== "CONFLICT") throw err;
			}
			// Another copy (MongoDB) inserted some meanwhile: one by one, skipping those.
			const inserted: StoredDoc[] = [];
			for (const row of fresh) {
				try {
					inserted.push(await this.storeInsert(row));
				} catch (err) {
					if (!(err instanceof ApiError) || err.type !== "CONFLICT") throw err;
				}
			}

			return inserted;
		},

		/**
		 * Publishes the leased rows (all under one lease), MESSAGE_ROWS
		 * to a message; rows whose message fails go back to the poller.
		 */
		async send(rows: StoredDoc[]): Promise<void> {
			if (rows.length === 0) return;
			const now = Date.now();
			const lease = rows[0].lease as string;
			const failed: string[] = [];
			const chunks: string[][] = [];
			for (let i = 0; i < rows.length; i += MESSAGE_ROWS)
				chunks.push(rows.slice(i, i + MESSAGE_ROWS).map((r) => r._id));
			await Promise.all(
				chunks.map(async (ids) => {
					ids.forEach((id) => this.outstanding.set(id, now));
					const message: DeliverMessage = { lease, ids };
					try {
						await this.broker.sendToChannel(DELIVER_CHANNEL, message, {
							xaddMaxLen: STREAM_MAX_LEN,
						});
					} catch {
						ids.forEach((id) => this.outstanding.delete(id));
						failed.push(...ids);
					}
				}),
			);
			if (failed.length === 0) return;
			this.sendBlockedUntil = Date.now() + SEND_BACKOFF_MS;
			this.logger.warn(
				`Could not queue ${failed.length} webhook deliveries; the poller sends them again`,
			);
			await this.storeUpdate(
				{ _id: { $in: failed }, lease },
				{ lease: null, due_at: iso(Date.now()) },
			);
		},

		/**
		 * One poll: the most urgent due rows, each given a new lease (compare-and-set), then sent.
		 */
		async dispatchDue(): Promise<void> {
			this.pruneOutstanding();
			const room = Math.min(this.room(), DISPATCH_BATCH);
			if (room <= 0) return;
			const now = Date.now();
			const due: StoredDoc[] = await this.storeFind(dueQuery(iso(now)), {
				sort: [["due_at", 1]],
				limit: room,
			});
			this.moreDue = due.length === room;
			if (due.length === 0) return;
			for (const row of due.filter((d) => d.lease))
				this.logger.warn(
					`Webhook delivery ${row._id}: its lease ran out with no outcome (a lost ` +
						`message or a worker stopped mid-attempt); sending it again`,
				);
			// A row changed since the query keeps its state; its message is refused at claim.
			const lease = newLease();
			await this.storeUpdate(
				{ _id: { $in: due.map((d) => d._id) }, due_at: { $lt: iso(now) } },
				{ lease, due_at: iso(now + LEASE_MS) },
			);
			await this.send(due.map((d) => ({ ...d, lease })));
		},

		/** The claims `nodeId` holds (see leases.mixin.ts), due again now under their lease. */
		async releaseClaimsOf(nodeId: string): Promise<void> {
			const rows = [...this.inFlight]
				.filter(([, claim]) => claim.node === nodeId)
				.map(([id, claim]) => ({ id, lease: claim.lease as string }));
			if (rows.length === 0) return;
			for (const { id } of rows) {
				this.inFlight.delete(id);
				this.settled(id);
			}
			const changed: number = await this.storeUpdate(heldBy(rows), {
				due_at: iso(Date.now()),
			});
			this.logger.warn(
				`Worker node ${nodeId} left holding ${changed} webhook deliveries; sending them ` +
					`again`,
			);
			this.dispatchSoon();
		},

		/** Forgets messages and claims older than a lease: their rows are due again anyway. */
		pruneOutstanding(): void {
			const oldest = Date.now() - LEASE_MS;
			for (const [id, at] of this.outstanding) if (at < oldest) this.outstanding.delete(id);
			for (const [id, claim] of this.inFlight)
				if (claim.at < oldest) this.inFlight.delete(id);
		},
	},

	created() {
		this.outstanding = new Map<string, number>();
		this.maxOutstanding = maxOutstanding();
		this.sendBlockedUntil = 0;
		this.moreDue = false;
		this.cursor = "";
		this.fanOut = new Coalescer(
			() => this.fanOutPass(),
			(err) => this.logger.warn(`Webhook fan-out pass failed (retried): ${err.message}`),
		);
		this.dispatcher = new Coalescer(
			() => this.dispatchDue(),
			(err) => this.logger.warn(`Webhook dispatch failed (retried): ${err.message}`),
		);
	},

	async started() {
		const cursor: StoredDoc | undefined = await this.storeFindOne({ _id: CURSOR_ID });
		if (!cursor) await this.storeInsert({ _id: CURSOR_ID, after_id: "" });
		this.cursor = (cursor?.after_id as string | undefined) ?? "";
		// Messages sent by an earlier run may have gone with it (in-process channels): send again.
		const now = iso(Date.now());
		await this.storeUpdate(
			{ due_at: { $gt: now }, lease: { $ne: null } },
			{ lease: null, due_at: now },
		);
		// The first runs wait for the timers: the channel adapter connects after services start.
		this.timers = [
			setInterval(() => this.dispatcher.trigger(), POLL_MS),
			setInterval(() => this.fanOut.trigger(), FAN_OUT_POLL_MS),
		];
		for (const timer of this.timers) timer.unref();
	},

	stopped() {
		for (const timer of this.timers ?? []) clearInterval(timer);
		this.fanOut.stop();
		this.dispatcher.stop();
	},
};
