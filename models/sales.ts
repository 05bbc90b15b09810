/** Leads, opportunities and quotes: the sales pipeline before an order. */
import { defineEntity, type RecordOf } from "./entity";
import { lineRule, MAX_LINES } from "./line-items";
import { CURRENCY_FIELD } from "./money";
import { defineStateMachine } from "./state-machine";
import { ownerRef, workflowStatus } from "./fields";

export const LEAD_STATUSES = [
	"new",
	"contacted",
	"qualified",
	"converted",
	"disqualified",
] as const;
type LeadStatus = (typeof LEAD_STATUSES)[number];

/**
 * Contract: new → contacted → qualified → converted | disqualified (converted only by `convert`).
 */
export const LEAD_MACHINE = defineStateMachine<LeadStatus>({
	entity: "lead",
	field: "status",
	initial: "new",
	transitions: {
		new: ["contacted"],
		contacted: ["qualified"],
		qualified: ["converted", "disqualified"],
		converted: [],
		disqualified: [],
	},
	events: { qualified: "lead.qualified", converted: "lead.converted" },
});

export const LEAD_SOURCES = [
	"website",
	"referral",
	"event",
	"advertising",
	"cold_call",
	"partner",
	"other",
] as const;

export const Lead = defineEntity({
	name: "lead",
	plural: "leads",
	currencyField: "currency",
	defaultSort: "created_at:desc",
	fields: {
		name: { type: "string", min: 1, max: 200, required: true, sort: true, search: true },
		email: { type: "string", format: "email", filter: true, search: true },
		phone: { type: "string", max: 40, search: true },
		company: { type: "string", max: 200, filter: true, sort: true, search: true },
		source: { type: "enum", values: LEAD_SOURCES, default: "other", filter: true },
		status: { type: "enum", values: LEAD_STATUSES, default: "new", filter: true, sort: true },
		estimated_value: { type: "money", min: 0, sort: true },
		currency: CURRENCY_FIELD,
		notes: { type: "string", max: 5000, search: true },
		customer_id: { type: "ref", service: "customers", readOnly: true, filter: true },
		opportunity_id: { type: "ref", service: "opportunities", readOnly: true, filter: true },
		converted_at: { type: "datetime", readOnly: true, sort: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
});
export type LeadRecord = RecordOf<typeof Lead>;

export const OPPORTUNITY_STAGES = [
	"prospecting",
	"qualification",
	"proposal",
	"negotiation",
	"closed_won",
	"closed_lost",
] as const;
type Stage = (typeof OPPORTUNITY_STAGES)[number];

/** Contract: prospecting → qualification → proposal → negotiation → closed_won | closed_lost. */
export const OPPORTUNITY_MACHINE = defineStateMachine<Stage>({
	entity: "opportunity",
	field: "stage",
	initial: "prospecting",
	transitions: {
		prospecting: ["qualification"],
		qualification: ["proposal"],
		proposal: ["negotiation"],
		negotiation: ["closed_won", "closed_lost"],
		closed_won: [],
		closed_lost: [],
	},
	events: { closed_won: "opportunity.won", closed_lost: "opportunity.lost" },
});

export const Opportunity = defineEntity({
	name: "opportunity",
	plural: "opportunities",
	currencyField: "currency",
	defaultSort: "created_at:desc",
	fields: {
		name: { type: "string", min: 1, max: 200, required: true, sort: true, search: true },
		customer_id: { type: "ref", service: "customers", filter: true, index: true },
		lead_id: { type: "ref", service: "leads", immutable: true, filter: true },
		stage: {
			type: "enum",
			values: OPPORTUNITY_STAGES,
			default: "prospecting",
			readOnly: true,
			filter: true,
			sort: true,
		},
		amount: { type: "money", min: 0, default: 0, sort: true },
		currency: CURRENCY_FIELD,
		probability: { type: "integer", min: 0, max: 100, sort: true },
		expected_close_date: { type: "date", sort: true },
		closed_at: { type: "datetime", readOnly: true, sort: true },
		lost_reason: { type: "string", readOnly: true },
		notes: { type: "string", max: 5000, search: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
	relations: { customer: { service: "customers", kind: "one", localKey: "customer_id" } },
});
export type OpportunityRecord = RecordOf<typeof Opportunity>;

export const QUOTE_STATUSES = ["draft", "sent", "accepted", "rejected", "expired"] as const;
type QuoteStatus = (typeof QUOTE_STATUSES)[number];

/** Contract: draft → sent → accepted | rejected | expired (expired by the scheduler). */
export const QUOTE_MACHINE = defineStateMachine<QuoteStatus>({
	entity: "quote",
	field: "status",
	initial: "draft",
	transitions: {
		draft: ["sent"],
		sent: ["accepted", "rejected", "expired"],
		accepted: [],
		rejected: [],
		expired: [],
	},
	events: { sent: "quote.sent", accepted: "quote.accepted", rejected: "quote.rejected" },
});

export const Quote = defineEntity({
	name: "quote",
	plural: "quotes",
	currencyField: "currency",
	defaultSort: "created_at:desc",
	fields: {
		quote_number: {
			type: "string",
			max: 64,
			unique: true,
			immutable: true,
			filter: true,
			sort: true,
		},
		customer_id: ownerRef("customers"),
		opportunity_id: { type: "ref", service: "opportunities", filter: true },
		status: workflowStatus(QUOTE_STATUSES, "draft"),
		currency: { ...CURRENCY_FIELD, immutable: true },
		items: { type: "list", items: lineRule(true), max: MAX_LINES, required: true },
		subtotal: { type: "money", readOnly: true, default: 0, sort: true },
		tax_amount: { type: "money", min: 0, default: 0 },
		shipping_amount: { type: "money", min: 0, default: 0 },
		discount_amount: { type: "money", min: 0, default: 0 },
		total_amount: { type: "money", readOnly: true, default: 0, sort: true },
		valid_until: { type: "date", filter: true, sort: true, description: "Default: 30 days on" },
		order_id: { type: "ref", service: "orders", readOnly: true, filter: true },
		sent_at: { type: "datetime", readOnly: true, sort: true },
		decided_at: { type: "datetime", readOnly: true, sort: true },
		rejection_reason: { type: "string", readOnly: true },
		notes: { type: "string", max: 5000, search: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
	relations: { customer: { service: "customers", kind: "one", localKey: "customer_id" } },
});
export type QuoteRecord = RecordOf<typeof Quote>;
