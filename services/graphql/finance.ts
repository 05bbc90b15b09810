/** The GraphQL declarations of invoices and payments (see sales.ts for what belongs here). */
import type { GraphqlOptions } from "../../mixins/graphql.mixin";
import { Customer } from "../../models/customer";
import { Invoice } from "../../models/finance";
import { Order } from "../../models/order";
import { OPTIONAL_LINES, pastDate } from "./lines";

export const INVOICE_GRAPHQL: GraphqlOptions = {
	// Invoices are voided, never deleted (the ledger keeps them).
	operations: ["get", "list", "create", "update"],
	fields: { items: OPTIONAL_LINES },
	computed: {
		is_overdue: {
			type: "Boolean!",
			// Marked overdue by the scheduler, or past due while it has not run yet.
			value: (row) => row.status === "overdue" || pastDate(row, "due_date", ["sent"]),
		},
	},
	parents: {
		customer_id: { entity: Customer },
		order_id: { entity: Order, typeName: "SalesOrder" },
	},
	steps: { sendInvoice: { action: "send" }, voidInvoice: { action: "void" } },
};

export const PAYMENT_GRAPHQL: GraphqlOptions = {
	operations: ["get", "list", "create"],
	parents: { invoice_id: { entity: Invoice }, customer_id: { entity: Customer } },
	steps: {
		completePayment: { action: "complete" },
		failPayment: { action: "fail", args: "reason: String" },
	},
};
