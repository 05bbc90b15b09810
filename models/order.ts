import { defineEntity, type RecordOf } from "./entity";
import { lineRule, MAX_LINES } from "./line-items";
import { CURRENCY_FIELD } from "./money";
import { defineStateMachine } from "./state-machine";
import { externalId, ownerRef, workflowStatus } from "./fields";

export const ORDER_STATUSES = [
	"draft",
	"confirmed",
	"processing",
	"shipped",
	"delivered",
	"cancelled",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Contract: draft → confirmed → processing → shipped → delivered; cancelled before shipped. */
export const ORDER_MACHINE = defineStateMachine<OrderStatus>({
	entity: "order",
	field: "status",
	initial: "draft",
	transitions: {
		draft: ["confirmed", "cancelled"],
		confirmed: ["processing", "cancelled"],
		processing: ["shipped", "cancelled"],
		shipped: ["delivered"],
		delivered: [],
		cancelled: [],
	},
	events: {
		shipped: "order.shipped",
		delivered: "order.delivered",
		cancelled: "order.cancelled",
	},
});

/** States in which an order counts as a sale (customer analytics, sales rollups). */
export const COUNTED_ORDER_STATUSES: readonly OrderStatus[] = [
	"confirmed",
	"processing",
	"shipped",
	"delivered",
];

export const Order = defineEntity({
	name: "order",
	plural: "orders",
	currencyField: "currency",
	defaultSort: "created_at:desc",
	fields: {
		order_number: {
			type: "string",
			max: 64,
			unique: true,
			immutable: true,
			filter: true,
			sort: true,
			search: true,
			description: "Given or generated (`SO-…`); unique in the organization",
		},
		external_id: { ...externalId("order"), immutable: true },
		customer_id: ownerRef("customers"),
		quote_id: { type: "ref", service: "quotes", immutable: true, filter: true },
		status: workflowStatus(ORDER_STATUSES, "draft"),
		currency: { ...CURRENCY_FIELD, immutable: true },
		items: {
			type: "list",
			items: lineRule(true),
			max: MAX_LINES,
			required: true,
			description: "product_id, quantity, unit_price (default: the product's), discount",
		},
		subtotal: { type: "money", readOnly: true, sort: true, default: 0 },
		tax_amount: { type: "money", min: 0, default: 0 },
		shipping_amount: { type: "money", min: 0, default: 0 },
		discount_amount: { type: "money", min: 0, default: 0 },
		total_amount: {
			type: "money",
			readOnly: true,
			sort: true,
			default: 0,
			description: "Sum of the line totals plus tax and shipping minus discount",
		},
		order_date: { type: "date", filter: true, sort: true, description: "Default: today" },
		requested_delivery_date: { type: "date", sort: true },
		promised_delivery_date: { type: "date", sort: true },
		actual_delivery_date: { type: "date", readOnly: true, sort: true },
		shipping_address: { type: "object", maxBytes: 4096 },
		carrier: { type: "string", readOnly: true, filter: true },
		tracking_number: { type: "string", readOnly: true, filter: true },
		shipped_at: { type: "datetime", readOnly: true, sort: true },
		delivered_at: { type: "datetime", readOnly: true, sort: true },
		cancelled_at: { type: "datetime", readOnly: true, sort: true },
		cancellation_reason: { type: "string", readOnly: true },
		notes: { type: "string", max: 5000, search: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
	relations: {
		customer: { service: "customers", kind: "one", localKey: "customer_id" },
		invoices: { service: "invoices", kind: "many", foreignKey: "order_id" },
	},
});
export type OrderRecord = RecordOf<typeof Order>;
