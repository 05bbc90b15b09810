/**
 * Notifications for the signed-in user: one per admin (owner or admin member) of the
 * organization for each event an admin must see (`invoice.overdue`, `payment.failed`,
 * `webhook.disabled`). Each records `notification.created`, the source of the GraphQL
 * `notification` subscription. A user lists and reads only their own; reading is the user's
 * own bookkeeping and records no event.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import type { DomainEvent } from "../mixins/events.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { StoreQuery } from "../mixins/resource/query";
import type { Output } from "../mixins/resource/view";
import { type Auth, type Meta, type RestContext, systemAuth } from "../models/context";
import { toApiError } from "../models/errors";
import { Notification, NOTIFIED_EVENTS } from "../models/support";
import { graphqlMixin } from "../mixins/graphql.mixin";
import { NOTIFICATION_GRAPHQL } from "./graphql/support";

const ADMIN_ROLES = ["owner", "admin"];

function titleOf(event: DomainEvent): string {
	const object = event.data.object;
	switch (event.type) {
		case "invoice.overdue":
			return `Invoice ${object.invoice_number ?? object.id} is overdue`;
		case "payment.failed":
			return (
				`Payment ${object.id} ` +
				`failed${object.failure_reason ? `: ${object.failure_reason}` : ""}`
			);
		default:
			return `Webhook endpoint ${object.url ?? object.id} was disabled`;
	}
}

const NotificationsService: ServiceSchema = {
	name: "notifications",
	mixins: [
		resourceMixin({ entity: Notification, indexes: ["read_at"] }),
		graphqlMixin(Notification, NOTIFICATION_GRAPHQL),
	],

	actions: {
		create: false,
		update: false,
		remove: false,

		markRead: {
			scope: "notifications:write",
			async handler(ctx: RestContext): Promise<Output> {
				const current: StoredDoc = await this.loadScoped(ctx, ctx.params.params?.id);
				if (current.read_at) return this.toOutput(current);
				const set = {
					read_at: new Date().toISOString(),
					version: (current.version as number) + 1,
				};
				await this.storeUpdate(
					{ _id: current._id, organization_id: current.organization_id },
					set,
				);

				return this.toOutput({ ...current, ...set });
			},
		},

		markAllRead: {
			scope: "notifications:write",
			async handler(ctx: RestContext): Promise<{ updated: number }> {
				const updated: number = await this.storeUpdate(
					{ ...this.scopeQuery(ctx), read_at: null },
					{ read_at: new Date().toISOString() },
				);

				return { updated };
			},
		},
	},

	events: Object.fromEntries(
		NOTIFIED_EVENTS.map((type) => [
			type,
			function (
				this: { notify(ctx: Context<DomainEvent, Meta>): Promise<void> },
				ctx: Context<DomainEvent, Meta>,
			) {
				return this.notify(ctx);
			},
		]),
	),

	methods: {
		/** Only the caller's own notifications are ever visible (an API key sees its creator's). */
		scopeQuery(ctx: RestContext): StoreQuery {
			const auth = ctx.meta.auth as Auth;

			return { organization_id: this.orgOf(ctx), user_id: auth.user_id ?? null };
		},

		async notify(ctx: Context<DomainEvent, Meta>): Promise<void> {
			const event = ctx.params;
			ctx.meta.auth = systemAuth(event.organization_id);
			const members: Output[] = await ctx.call("members.findMany", {
				field: "role",
				values: ADMIN_ROLES,
			});
			for (const member of members.filter((m) => m.status === "active")) {
				const doc = {
					user_id: member.user_id,
					type: event.type,
					title: titleOf(event),
					event_id: event.id,
					object: { id: event.data.object.id, type: event.type.split(".")[0] },
					read_at: null,
					dedupe_key: `${event.id}:${member.user_id}`,
				};
				try {
					const out = this.toOutput(await this.insertUnique(ctx, doc));
					await this.publishEvent(ctx, "notification.created", out);
				} catch (err) {
					// Every copy of this service hears a broadcast; the first one notifies.
					if (toApiError(err).type !== "CONFLICT") throw err;
				}
			}
		},
	},
};

export default NotificationsService;
