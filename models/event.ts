import { defineEntity } from "./entity";

/**
 * The event catalogue of the design document, plus what the contract adds. Webhook endpoints
 * and socket subscriptions may name these or wildcards over them (`order.*`, `*`).
 */
export const EVENT_TYPES = [
	"customer.created",
	"customer.updated",
	"customer.deleted",
	"customer.status_changed",
	"customer_contact.created",
	"customer_contact.updated",
	"customer_contact.deleted",
	"customer_interaction.created",
	"customer_interaction.updated",
	"customer_interaction.deleted",
	"lead.created",
	"lead.updated",
	"lead.deleted",
	"lead.status_changed",
	"lead.qualified",
	"lead.converted",
	"opportunity.created",
	"opportunity.updated",
	"opportunity.deleted",
	"opportunity.stage_changed",
	"opportunity.won",
	"opportunity.lost",
	"quote.created",
	"quote.updated",
	"quote.deleted",
	"quote.status_changed",
	"quote.sent",
	"quote.accepted",
	"quote.rejected",
	"order.created",
	"order.updated",
	"order.deleted",
	"order.status_changed",
	"order.shipped",
	"order.delivered",
	"order.cancelled",
	"invoice.created",
	"invoice.updated",
	"invoice.status_changed",
	"invoice.sent",
	"invoice.viewed",
	"invoice.paid",
	"invoice.overdue",
	"invoice.voided",
	"payment.created",
	"payment.updated",
	"payment.status_changed",
	"payment.completed",
	"payment.failed",
	"product.created",
	"product.updated",
	"product.deleted",
	"account.created",
	"account.updated",
	"journal_entry.created",
	"ticket.created",
	"ticket.updated",
	"ticket.status_changed",
	"document.uploaded",
	"document.shared",
	"document.deleted",
	"notification.created",
	"user.login",
	"user.logout",
	"api_key.created",
	"api_key.revoked",
	"webhook.created",
	"webhook.updated",
	"webhook.deleted",
	"webhook.test",
	"webhook.disabled",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** True when `type` matches `pattern`: an exact name, `prefix.*`, or `*`. */
export function eventMatches(pattern: string, type: string): boolean {
	if (pattern === "*" || pattern === type) return true;

	return pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1));
}

/** The event log as a read-only resource (`GET …/events`). */
export const Event = defineEntity({
	name: "event",
	plural: "events",
	defaultSort: "created_at:desc",
	fields: {
		type: { type: "string", readOnly: true, filter: true, sort: true, index: true },
		request_id: { type: "string", readOnly: true, filter: true },
		actor: { type: "object", readOnly: true },
		data: { type: "object", readOnly: true },
	},
});
