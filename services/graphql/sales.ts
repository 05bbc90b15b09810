/**
 * The GraphQL declarations of the sales domains (orders, quotes, leads, opportunities), read by
 * their services and by the schema unit test. Types come from models/; only what the models do
 * not say is here: type names of the design document, relations, workflow mutations,
 * subscriptions and computed fields.
 */
import type { GraphqlOptions } from "../../mixins/graphql.mixin";
import { Customer, CUSTOMER_SEGMENTS } from "../../models/customer";
import { Order } from "../../models/order";
import { Opportunity, Quote } from "../../models/sales";
import { pastDate, REQUIRED_LINES } from "./lines";

type Row = Record<string, unknown>;

/** Where an order is on its way to the customer, from its status. */
function fulfillmentOf(row: Row): string {
	switch (row.status) {
		case "cancelled":
			return "CANCELLED";
		case "delivered":
			return "FULFILLED";
		case "shipped":
			return "IN_TRANSIT";
		default:
			return "UNFULFILLED";
	}
}

const CUSTOMER = { entity: Customer };

/** A field resolved by `service`'s batched by-id read, from the id at `path` of its parent. */
function byIdsOf(service: string, path: string) {
	return { action: `${service}.graphqlByIds`, rootParams: { [path]: "keys" }, dataLoader: true };
}

export const ORDER_GRAPHQL: GraphqlOptions = {
	typeName: "SalesOrder",
	bulk: true,
	search: true,
	fields: { items: REQUIRED_LINES },
	computed: {
		fulfillment_status: {
			type: "String!",
			value: fulfillmentOf,
		},
		estimated_delivery: {
			type: "Date",
			// The best date known: delivered on, else promised for, else asked for.
			value: (row) =>
				row.actual_delivery_date ??
				row.promised_delivery_date ??
				row.requested_delivery_date ??
				null,
		},
		is_overdue: {
			type: "Boolean!",
			// Promised for a day that has passed and not delivered (nor cancelled).
			value: (row) =>
				pastDate(row, "promised_delivery_date", [
					"draft",
					"confirmed",
					"processing",
					"shipped",
				]),
		},
	},
	types: `input FulfillOrderInput { carrier: String!, trackingNumber: String, shippedAt: DateTime }
input DeliverOrderInput { deliveredAt: DateTime, actualDeliveryDate: Date }
input OrderSubscriptionFilter { customerId: ID, status: [SalesOrderStatus!] }`,
	parents: { customer_id: CUSTOMER, quote_id: { entity: Quote, typeName: "SalesQuote" } },
	steps: {
		confirmOrder: { action: "confirm" },
		processOrder: { action: "process" },
		fulfillOrder: { action: "ship", args: "input: FulfillOrderInput!" },
		deliverOrder: { action: "deliver", args: "input: DeliverOrderInput" },
		cancelOrder: { action: "cancel", args: "reason: String!" },
	},
	subscriptions: {
		orderStatusChanged: {
			events: ["order.status_changed"],
			match: { customerId: "customer_id" },
		},
		orderCreated: {
			events: ["order.created"],
			args: "filters: OrderSubscriptionFilter",
			match: { "filters.customerId": "customer_id", "filters.status": "status" },
		},
	},
};

export const QUOTE_GRAPHQL: GraphqlOptions = {
	typeName: "SalesQuote",
	fields: { items: REQUIRED_LINES },
	computed: {
		is_expired: {
			type: "Boolean!",
			value: (row) => row.status === "expired" || pastDate(row, "valid_until", ["sent"]),
		},
	},
	parents: { customer_id: CUSTOMER, order_id: { entity: Order, typeName: "SalesOrder" } },
	steps: {
		sendQuote: { action: "send" },
		acceptQuote: { action: "accept" },
		rejectQuote: { action: "reject", args: "reason: String" },
		convertQuoteToOrder: {
			action: "convert",
			idArg: "quoteId",
			returns: { typeName: "SalesOrder", service: "orders", idField: "order_id" },
		},
	},
};

export const LEAD_GRAPHQL: GraphqlOptions = {
	search: true,
	parents: { customer_id: CUSTOMER, opportunity_id: { entity: Opportunity } },
	steps: {
		convertLeadToCustomer: {
			action: "convert",
			idArg: "leadId",
			args: "input: ConvertLeadInput",
			enums: { segment: CUSTOMER_SEGMENTS },
			wrap: { typeName: "ConvertLeadResult", field: "lead" },
		},
	},
	types: `"How a lead becomes a customer: its segment, and whether an opportunity is opened too"
input ConvertLeadInput { segment: CustomerSegment, createOpportunity: Boolean }
"The converted lead, the customer made of it and the opportunity opened, if asked for"
type ConvertLeadResult { lead: Lead!, customer: Customer!, opportunity: Opportunity }`,
	resolvers: {
		ConvertLeadResult: {
			customer: byIdsOf("customers", "lead.customerId"),
			opportunity: byIdsOf("opportunities", "lead.opportunityId"),
		},
	},
};

export const OPPORTUNITY_GRAPHQL: GraphqlOptions = {
	parents: { customer_id: CUSTOMER },
	steps: {
		moveOpportunityStage: {
			action: "stage",
			args: "stage: OpportunityStage!, lostReason: String",
		},
	},
};
