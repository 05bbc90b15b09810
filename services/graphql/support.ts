/** The GraphQL declarations of tickets, notifications and products (see sales.ts). */
import type { GraphqlOptions } from "../../mixins/graphql.mixin";
import { Customer } from "../../models/customer";

export const TICKET_GRAPHQL: GraphqlOptions = {
	// Tickets are closed, never deleted; the status moves by update, as over REST.
	operations: ["get", "list", "create", "update"],
	typeName: "SupportTicket",
	parents: { customer_id: { entity: Customer } },
};

export const NOTIFICATION_GRAPHQL: GraphqlOptions = {
	operations: ["get", "list"],
	steps: { markNotificationRead: { action: "markRead" } },
	subscriptions: {
		// Private: only the subscriber's own notifications, whatever userId names.
		notification: {
			events: ["notification.created"],
			match: { userId: "user_id" },
			owner: "user_id",
		},
	},
};

export const PRODUCT_GRAPHQL: GraphqlOptions = { bulk: true, search: true };
