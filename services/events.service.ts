/**
 * The event log: every domain event, stored before anyone is told of it, kept 30 days. It is
 * also the audit trail (who did what, when, through which request) and the source from which
 * socket clients resume and webhooks fan out.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { DomainEvent, NewEvent } from "../mixins/events.mixin";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import { listMethods } from "../mixins/resource/list-methods";
import type { Meta, RestContext } from "../models/context";
import { Event, EVENT_TYPES, eventMatches } from "../models/event";

const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const REPLAY_MAX = 1000;
const { listResources } = listMethods(Event);

/**
 * Event ids sort in the order the log recorded them: milliseconds and a per-millisecond
 * counter in fixed-width base 36, then random digits so ids of two nodes never collide.
 */
function eventIdFactory(): () => string {
	let lastMs = 0;
	let counter = 0;

	return () => {
		const now = Date.now();
		counter = now === lastMs ? counter + 1 : 0;
		lastMs = now;
		const random = Math.floor(Math.random() * 36 ** 6)
			.toString(36)
			.padStart(6, "0");

		const ms = now.toString(36).padStart(9, "0");

		return `evt_${ms}${counter.toString(36).padStart(4, "0")}${random}`;
	};
}

interface ReplayParams {
	after_id: string;
	limit?: number;
}

const EventsService: ServiceSchema = {
	name: "events",
	mixins: [
		resourceMixin({ entity: Event, scope: "events" }),
		// Events are facts: no version, never updated.
		graphqlMixin(Event, { operations: ["get", "list"], omit: ["version", "updated_at"] }),
	],

	actions: {
		create: false,
		update: false,
		remove: false,

		/** Stores one event and then tells every node (socket and GraphQL bridges subscribe). */
		record: {
			visibility: "public",
			async handler(ctx: Context<NewEvent, Meta>): Promise<DomainEvent> {
				const event: DomainEvent = {
					id: this.nextId(),
					created_at: new Date().toISOString(),
					...ctx.params,
				};
				const { id, ...rest } = event;
				await this.storeInsert({ _id: id, ...rest });
				ctx.broadcast(event.type, event);

				return event;
			},
		},

		/** The caller's events recorded after `after_id`, oldest first (socket resume). */
		replay: {
			visibility: "public",
			params: {
				after_id: "string",
				limit: { type: "number", integer: true, min: 1, max: REPLAY_MAX, optional: true },
			},
			async handler(ctx: Context<ReplayParams, Meta>): Promise<DomainEvent[]> {
				const query = {
					organization_id: this.orgOf(ctx),
					_id: { $gt: ctx.params.after_id },
				};
				const docs = await this.storeFind(query, {
					sort: [["_id", 1]],
					limit: ctx.params.limit ?? REPLAY_MAX,
				});

				return docs.map((d: Record<string, unknown>) => this.toOutput(d));
			},
		},

		/**
		 * Every organization's events recorded after `after_id`, oldest first (webhook fan-out).
		 */
		scan: {
			visibility: "public",
			params: {
				after_id: "string",
				limit: { type: "number", integer: true, min: 1, max: REPLAY_MAX, optional: true },
			},
			async handler(ctx: Context<ReplayParams, Meta>): Promise<DomainEvent[]> {
				const docs = await this.storeFind(
					{ _id: { $gt: ctx.params.after_id } },
					{ sort: [["_id", 1]], limit: ctx.params.limit ?? REPLAY_MAX },
				);

				return docs.map((d: Record<string, unknown>) => this.toOutput(d));
			},
		},

		/**
		 * Events of any organization by id (webhook
		 * attempts; uncached: each is read once or twice).
		 */
		fetch: {
			visibility: "public",
			params: { ids: { type: "array", items: "string", max: REPLAY_MAX } },
			async handler(ctx: Context<{ ids: string[] }, Meta>): Promise<DomainEvent[]> {
				const docs = await this.storeFind({ _id: { $in: ctx.params.ids } });

				return docs.map((d: Record<string, unknown>) => this.toOutput(d));
			},
		},
	},

	methods: {
		/**
		 * `type=order.*` (the pattern socket.io and webhook subscriptions take) lists every event
		 * type it matches; `type=*` lists all. Other values filter as the query language does.
		 */
		listResources(ctx: RestContext) {
			const type = ctx.params.query?.type;
			if (typeof type === "string" && (type === "*" || type.endsWith(".*"))) {
				const { type: _pattern, ...query } = ctx.params.query ?? {};
				const matching = EVENT_TYPES.filter((t) => eventMatches(type, t));
				// A pattern no type matches finds nothing, as an unknown exact type does.
				const types = matching.length ? matching : [type];
				ctx.params.query = type === "*" ? query : { ...query, type_in: types.join(",") };
			}

			return listResources.call(this, ctx);
		},

		async sweep(): Promise<void> {
			const cutoff = new Date(Date.now() - RETENTION_MS).toISOString();
			const removed = await this.storeRemove({ created_at: { $lt: cutoff } });
			if (removed)
				this.logger.info(`Event log: removed ${removed} events older than 30 days`);
		},
	},

	created() {
		this.nextId = eventIdFactory();
	},

	started() {
		this.sweepTimer = setInterval(() => {
			this.sweep().catch((err: Error) =>
				this.logger.error("Event log sweep failed", err.message),
			);
		}, SWEEP_INTERVAL_MS);
		this.sweepTimer.unref();
	},

	stopped() {
		clearInterval(this.sweepTimer);
	},
};

export default EventsService;
