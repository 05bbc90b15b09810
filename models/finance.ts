/** Invoices, payments, the chart of accounts and journal entries. */
import { defineEntity, type RecordOf } from "./entity";
import { lineRule, MAX_LINES } from "./line-items";
import { CURRENCY_FIELD } from "./money";
import { defineStateMachine } from "./state-machine";
import { ownerRef, workflowStatus } from "./fields";

export const INVOICE_STATUSES = ["draft", "sent", "paid", "overdue", "void"] as const;
type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/**
 * Contract: draft → sent → paid | overdue | void. An overdue invoice is still open: it can be
 * paid or voided, as a sent one can.
 */
export const INVOICE_MACHINE = defineStateMachine<InvoiceStatus>({
	entity: "invoice",
	field: "status",
	initial: "draft",
	transitions: {
		draft: ["sent"],
		sent: ["paid", "overdue", "void"],
		overdue: ["paid", "void"],
		paid: [],
		void: [],
	},
	events: {
		sent: "invoice.sent",
		paid: "invoice.paid",
		overdue: "invoice.overdue",
		void: "invoice.voided",
	},
});

export const Invoice = defineEntity({
	name: "invoice",
	plural: "invoices",
	currencyField: "currency",
	defaultSort: "created_at:desc",
	fields: {
		invoice_number: {
			type: "string",
			max: 64,
			unique: true,
			immutable: true,
			filter: true,
			sort: true,
		},
		customer_id: {
			type: "ref",
			service: "customers",
			immutable: true,
			filter: true,
			index: true,
			description: "Required unless order_id is given",
		},
		order_id: {
			type: "ref",
			service: "orders",
			immutable: true,
			filter: true,
			description:
				"Invoice an order: its lines and amounts are copied unless items are given",
		},
		status: workflowStatus(INVOICE_STATUSES, "draft"),
		currency: { ...CURRENCY_FIELD, immutable: true },
		items: {
			type: "list",
			items: lineRule(false),
			max: MAX_LINES,
			description: "product_id, or description and unit_price; quantity; discount",
		},
		subtotal: { type: "money", readOnly: true, default: 0, sort: true },
		tax_amount: { type: "money", min: 0, default: 0 },
		shipping_amount: { type: "money", min: 0, default: 0 },
		discount_amount: { type: "money", min: 0, default: 0 },
		total_amount: { type: "money", readOnly: true, default: 0, sort: true },
		amount_paid: { type: "money", readOnly: true, default: 0, sort: true },
		amount_due: { type: "money", readOnly: true, default: 0, sort: true },
		issue_date: { type: "date", filter: true, sort: true, description: "Default: today" },
		due_date: { type: "date", filter: true, sort: true, description: "Default: 30 days on" },
		sent_at: { type: "datetime", readOnly: true, sort: true },
		paid_at: { type: "datetime", readOnly: true, sort: true },
		voided_at: { type: "datetime", readOnly: true, sort: true },
		notes: { type: "string", max: 5000, search: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
	relations: {
		customer: { service: "customers", kind: "one", localKey: "customer_id" },
		order: { service: "orders", kind: "one", localKey: "order_id" },
		payments: { service: "payments", kind: "many", foreignKey: "invoice_id" },
	},
});
export type InvoiceRecord = RecordOf<typeof Invoice>;

export const PAYMENT_STATUSES = ["pending", "completed", "failed"] as const;
type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYMENT_MACHINE = defineStateMachine<PaymentStatus>({
	entity: "payment",
	field: "status",
	initial: "pending",
	transitions: { pending: ["completed", "failed"], completed: [], failed: [] },
	events: { completed: "payment.completed", failed: "payment.failed" },
});

export const PAYMENT_METHODS = ["card", "bank_transfer", "cash", "check", "other"] as const;

export const Payment = defineEntity({
	name: "payment",
	plural: "payments",
	currencyField: "currency",
	defaultSort: "created_at:desc",
	fields: {
		invoice_id: ownerRef("invoices"),
		customer_id: { type: "ref", service: "customers", readOnly: true, filter: true },
		amount: { type: "money", min: 0.000001, required: true, immutable: true, sort: true },
		currency: { ...CURRENCY_FIELD, immutable: true },
		method: { type: "enum", values: PAYMENT_METHODS, default: "other", filter: true },
		reference: { type: "string", max: 200, filter: true, search: true },
		status: workflowStatus(PAYMENT_STATUSES, "pending"),
		completed_at: { type: "datetime", readOnly: true, sort: true },
		failed_at: { type: "datetime", readOnly: true, sort: true },
		failure_reason: { type: "string", readOnly: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
});
export type PaymentRecord = RecordOf<typeof Payment>;

export const ACCOUNT_TYPES = ["asset", "liability", "equity", "revenue", "expense"] as const;

export const Account = defineEntity({
	name: "account",
	plural: "accounts",
	defaultSort: "code:asc",
	fields: {
		code: {
			type: "string",
			pattern: /^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$/,
			required: true,
			unique: true,
			immutable: true,
			filter: true,
			sort: true,
		},
		name: { type: "string", min: 1, max: 200, required: true, sort: true, search: true },
		type: {
			type: "enum",
			values: ACCOUNT_TYPES,
			required: true,
			immutable: true,
			filter: true,
		},
		description: { type: "string", max: 1000 },
		is_active: { type: "boolean", default: true, filter: true },
	},
});
export type AccountRecord = RecordOf<typeof Account>;

/** The accounts automatic postings use, created with the organization's first posting. */
export const DEFAULT_ACCOUNTS = [
	{ code: "1000", name: "Cash", type: "asset" },
	{ code: "1100", name: "Accounts receivable", type: "asset" },
	{ code: "2200", name: "Sales tax payable", type: "liability" },
	{ code: "4000", name: "Sales revenue", type: "revenue" },
] as const;

export const JournalEntry = defineEntity({
	name: "journal_entry",
	plural: "journal-entries",
	currencyField: "currency",
	defaultSort: "entry_date:desc",
	fields: {
		entry_date: { type: "date", filter: true, sort: true, description: "Default: today" },
		description: { type: "string", max: 1000, search: true },
		currency: CURRENCY_FIELD,
		lines: {
			type: "list",
			required: true,
			max: 200,
			items: {
				type: "object",
				strict: true,
				props: {
					account_id: { type: "uuid" },
					debit: { type: "number", min: 0, optional: true },
					credit: { type: "number", min: 0, optional: true },
					description: { type: "string", max: 500, optional: true },
				},
			},
			description: "account_id with a debit or a credit; debits must equal credits",
		},
		total: { type: "money", readOnly: true, default: 0, sort: true },
		source_type: {
			type: "enum",
			values: ["manual", "invoice", "payment"] as const,
			readOnly: true,
			default: "manual",
			filter: true,
		},
		source_id: { type: "string", readOnly: true, filter: true },
		reference: {
			type: "string",
			max: 200,
			unique: true,
			filter: true,
			description:
				"Unique in the organization; automatic postings use `<source>:<id>:<event>`",
		},
	},
});
export type JournalEntryRecord = RecordOf<typeof JournalEntry>;
