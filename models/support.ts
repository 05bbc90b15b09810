/** Support tickets, documents and notifications: the domains the contract adds. */
import { defineEntity, type RecordOf } from "./entity";
import { defineStateMachine } from "./state-machine";

export const TICKET_STATUSES = ["open", "pending", "resolved", "closed"] as const;
type TicketStatus = (typeof TICKET_STATUSES)[number];

/** Contract: open ⇄ pending, open|pending → resolved, resolved → closed|open; closed is final. */
export const TICKET_MACHINE = defineStateMachine<TicketStatus>({
	entity: "ticket",
	field: "status",
	initial: "open",
	transitions: {
		open: ["pending", "resolved"],
		pending: ["open", "resolved"],
		resolved: ["closed", "open"],
		closed: [],
	},
});

export const TICKET_PRIORITIES = ["low", "normal", "high", "urgent"] as const;

export const Ticket = defineEntity({
	name: "ticket",
	plural: "tickets",
	defaultSort: "created_at:desc",
	fields: {
		subject: { type: "string", min: 1, max: 300, required: true, sort: true, search: true },
		description: { type: "string", max: 20000, search: true },
		customer_id: { type: "ref", service: "customers", filter: true, index: true },
		status: {
			type: "enum",
			values: TICKET_STATUSES,
			default: "open",
			filter: true,
			sort: true,
		},
		priority: {
			type: "enum",
			values: TICKET_PRIORITIES,
			default: "normal",
			filter: true,
			sort: true,
		},
		assignee_id: { type: "string", format: "uuid", filter: true },
		resolved_at: { type: "datetime", readOnly: true, sort: true },
		closed_at: { type: "datetime", readOnly: true, sort: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
	relations: { customer: { service: "customers", kind: "one", localKey: "customer_id" } },
});
export type TicketRecord = RecordOf<typeof Ticket>;

/** Contract: at most 10 MB per document. */
export const DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;

/** Media types a document may have; the first bytes must agree where the format has a signature. */
export const DOCUMENT_TYPES: Record<string, Buffer | null> = {
	"application/pdf": Buffer.from("%PDF-"),
	"image/png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
	"image/jpeg": Buffer.from([0xff, 0xd8, 0xff]),
	"image/gif": Buffer.from("GIF8"),
	"image/webp": null,
	"text/plain": null,
	"text/csv": null,
	"application/json": null,
	"application/zip": Buffer.from([0x50, 0x4b]),
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": Buffer.from([
		0x50, 0x4b,
	]),
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Buffer.from([0x50, 0x4b]),
};

export const Document = defineEntity({
	name: "document",
	plural: "documents",
	defaultSort: "created_at:desc",
	fields: {
		name: { type: "string", min: 1, max: 255, required: true, sort: true, search: true },
		content_type: { type: "string", readOnly: true, filter: true },
		size: { type: "integer", readOnly: true, sort: true },
		sha256: { type: "string", readOnly: true, filter: true },
		customer_id: { type: "ref", service: "customers", filter: true, index: true },
		description: { type: "string", max: 2000, search: true },
		metadata: { type: "object", maxBytes: 16384 },
	},
});
export type DocumentRecord = RecordOf<typeof Document>;

/** Events an organization's admins are told of (contract: notifications). */
export const NOTIFIED_EVENTS = ["invoice.overdue", "payment.failed", "webhook.disabled"] as const;

export const Notification = defineEntity({
	name: "notification",
	plural: "notifications",
	defaultSort: "created_at:desc",
	fields: {
		user_id: { type: "string", readOnly: true, filter: true, index: true },
		type: { type: "enum", values: NOTIFIED_EVENTS, readOnly: true, filter: true },
		title: { type: "string", readOnly: true },
		event_id: { type: "string", readOnly: true, filter: true },
		object: { type: "object", readOnly: true, description: "id and type of what it is about" },
		read_at: { type: "datetime", readOnly: true, sort: true },
		dedupe_key: { type: "string", readOnly: true, unique: true, secret: true },
	},
});
export type NotificationRecord = RecordOf<typeof Notification>;
