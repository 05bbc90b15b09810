import { defineEntity, type RecordOf } from "./entity";
import { externalId, NAME_FIELD, ownerRef } from "./fields";

export const CUSTOMER_SEGMENTS = [
	"enterprise",
	"mid_market",
	"smb",
	"startup",
	"individual",
] as const;
export const CUSTOMER_STATUSES = [
	"active",
	"inactive",
	"prospect",
	"churned",
	"suspended",
] as const;

/** Digits, spaces, dashes, dots, parentheses, an optional leading plus and an extension. */
export const PHONE_PATTERN = /^\+?[\d\s\-().]{3,30}(\s*(x|ext\.?)\s*\d{1,6})?$/i;

export const Customer = defineEntity({
	name: "customer",
	plural: "customers",
	currencyField: "currency",
	defaultSort: "created_at:desc",
	fields: {
		name: NAME_FIELD,
		email: { type: "string", format: "email", filter: true, sort: true, search: true },
		phone: { type: "string", pattern: PHONE_PATTERN, max: 40, filter: true, search: true },
		company: { type: "string", max: 200, filter: true, sort: true, search: true },
		segment: {
			type: "enum",
			values: CUSTOMER_SEGMENTS,
			required: true,
			filter: true,
			sort: true,
		},
		status: {
			type: "enum",
			values: CUSTOMER_STATUSES,
			default: "active",
			filter: true,
			sort: true,
		},
		lifetime_value: {
			type: "money",
			default: 0,
			readOnly: true,
			sort: true,
			description: "Total invoiced to the customer, in major units of `currency`",
		},
		currency: { type: "string", pattern: /^[A-Z]{3}$/, default: "USD", filter: true },
		external_id: externalId("customer"),
		address: {
			type: "object",
			maxBytes: 4096,
			description: "line1, line2, city, region, postal_code, country",
		},
		metadata: { type: "object", maxBytes: 16384, description: "Free key-value data of yours" },
	},
	relations: {
		contacts: { service: "customer-contacts", kind: "many", foreignKey: "customer_id" },
		interactions: { service: "customer-interactions", kind: "many", foreignKey: "customer_id" },
		orders: { service: "orders", kind: "many", foreignKey: "customer_id" },
		quotes: { service: "quotes", kind: "many", foreignKey: "customer_id" },
		invoices: { service: "invoices", kind: "many", foreignKey: "customer_id" },
		tickets: { service: "tickets", kind: "many", foreignKey: "customer_id" },
		opportunities: { service: "opportunities", kind: "many", foreignKey: "customer_id" },
	},
});
export type CustomerRecord = RecordOf<typeof Customer>;

export const CustomerContact = defineEntity({
	name: "customer_contact",
	plural: "customer-contacts",
	parentField: "customer_id",
	defaultSort: "created_at:asc",
	fields: {
		customer_id: ownerRef("customers"),
		name: NAME_FIELD,
		email: { type: "string", format: "email", filter: true, search: true },
		phone: { type: "string", pattern: PHONE_PATTERN, max: 40, search: true },
		title: { type: "string", max: 200, search: true },
		is_primary: { type: "boolean", default: false, filter: true },
		is_active: { type: "boolean", default: true, filter: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
	relations: {
		customer: { service: "customers", kind: "one", localKey: "customer_id" },
	},
});
export type CustomerContactRecord = RecordOf<typeof CustomerContact>;

export const INTERACTION_TYPES = ["call", "email", "meeting", "note", "chat", "support"] as const;
export const INTERACTION_CHANNELS = [
	"phone",
	"email",
	"web",
	"in_person",
	"chat",
	"social",
	"other",
] as const;

export const CustomerInteraction = defineEntity({
	name: "customer_interaction",
	plural: "customer-interactions",
	parentField: "customer_id",
	defaultSort: "occurred_at:desc",
	fields: {
		customer_id: ownerRef("customers"),
		type: { type: "enum", values: INTERACTION_TYPES, required: true, filter: true, sort: true },
		channel: { type: "enum", values: INTERACTION_CHANNELS, default: "other", filter: true },
		subject: { type: "string", max: 300, search: true },
		notes: { type: "string", max: 10000, search: true },
		occurred_at: {
			type: "datetime",
			sort: true,
			description: "When it happened (default: now)",
		},
		metadata: { type: "object", maxBytes: 16384 },
	},
	relations: {
		customer: { service: "customers", kind: "one", localKey: "customer_id" },
	},
});
export type CustomerInteractionRecord = RecordOf<typeof CustomerInteraction>;
