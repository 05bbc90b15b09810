/**
 * The delivery row and its life in the store, which is the only source of truth for what is
 * still to send and when. A row waits (`pending`, or `failed` with a retry scheduled) until its
 * `next_attempt_at`. When it is due, the fan-out (for a new row) or the poller gives it a fresh
 * `lease` token and sends a "deliver now" message carrying that token; only a claim with the
 * row's current token gets the attempt, and only an outcome recorded under it counts. A lost
 * message or a worker killed mid-POST lets the lease run out (`due_at`); the poller then hands
 * out a new token, so a late message with the old one is refused, and the attempt is made again
 * with the same `webhook-id`.
 */
import crypto from "node:crypto";
import type { StoredDoc } from "../../mixins/db.mixin";
import type { DomainEvent } from "../../mixins/events.mixin";
import { eventMatches } from "../../models/event";
import { deliveryId, type RetryConfig } from "../../models/webhook";

/** The channel carrying "deliver now" messages (a command: contract naming). */
export const DELIVER_CHANNEL = "webhooks.deliver";

/**
 * Redis streams are trimmed to about this many entries;
 * a trimmed message is re-sent from the store.
 */
export const STREAM_MAX_LEN = "~100000";

/** How long a lease entitles its message to the attempt: the wait in the channel, then the POST. */
export const LEASE_MS = 60_000;

/** A claim needs this much of its lease left (a 15 s POST and the outcome); else it extends it. */
export const CLAIM_MIN_REMAINING_MS = 20_000;

/** Rows per message: one message, one claim and one outcome write serve them all. */
export const MESSAGE_ROWS = 20;

/** The message on DELIVER_CHANNEL: which rows, under which lease (the rest is in the store). */
export interface DeliverMessage {
	lease: string;
	ids: string[];
}

/** What a worker needs for one attempt, handed out by a claim. */
export interface Claim {
	id: string;
	/** The token the outcome is recorded under. */
	lease: string;
	organization_id: string;
	webhook_id: string;
	event_id: string;
	event_type: string;
	payload: string;
	attempts: number;
	round_attempts: number;
	url: string;
	/** Valid secrets, newest first. */
	secrets: string[];
	retry_config: RetryConfig;
	consecutive_failures: number;
}

export function newLease(): string {
	return crypto.randomBytes(9).toString("base64url");
}

/** The endpoint fields fan-out needs. */
export interface EndpointSummary {
	id: string;
	organization_id: string;
	events: string[];
	created_at: string;
}

export function iso(ms: number): string {
	return new Date(ms).toISOString();
}

/** The compare-and-set clause of rows still held under their lease. */
export function heldBy(rows: Array<{ id: string; lease: string }>): Record<string, unknown> {
	return {
		_id: { $in: rows.map((r) => r.id) },
		$or: rows.map((r) => ({ _id: r.id, lease: r.lease })),
	};
}

/** Rows the poller sends: due, and not leased (or the lease ran out). */
export function dueQuery(now: string): Record<string, unknown> {
	return { due_at: { $lt: now } };
}

/**
 * The event exactly as delivered: the contract's envelope in a fixed key order, serialised from
 * the event log at every attempt, so each attempt sends (and signs) the same bytes.
 */
export function payloadOf(event: DomainEvent): string {
	const { id, type, organization_id, created_at, request_id, actor, data } = event;

	return JSON.stringify({ id, type, organization_id, created_at, request_id, actor, data });
}

/** A new row for `event` to `webhookId`; with `lease`, it is being sent to the workers now. */
export function newDelivery(
	event: DomainEvent,
	webhookId: string,
	now: number,
	lease?: string,
): StoredDoc {
	const at = iso(now);

	return {
		_id: deliveryId(event.id, webhookId),
		organization_id: event.organization_id,
		webhook_id: webhookId,
		event_id: event.id,
		event_type: event.type,
		status: "pending",
		attempts: 0,
		round_attempts: 0,
		next_attempt_at: at,
		last_attempt_at: null,
		last_status_code: null,
		last_latency_ms: null,
		last_error: null,
		dead_reason: null,
		delivered_at: null,
		lease: lease ?? null,
		due_at: iso(lease ? now + LEASE_MS : now),
		version: 1,
		created_at: at,
		updated_at: at,
	};
}

/**
 * The (event, endpoint) pairs to deliver: every active endpoint of the event's organization that
 * existed when the event was recorded and subscribes to its type. `webhook.test` goes only to
 * the endpoint being tested, which its `test` action delivers itself.
 */
export function deliveryPairs(
	events: DomainEvent[],
	endpoints: EndpointSummary[],
): Array<[DomainEvent, string]> {
	const byOrg = new Map<string, EndpointSummary[]>();
	for (const endpoint of endpoints) {
		const list = byOrg.get(endpoint.organization_id) ?? [];
		list.push(endpoint);
		byOrg.set(endpoint.organization_id, list);
	}
	const pairs: Array<[DomainEvent, string]> = [];
	for (const event of events) {
		if (event.type === "webhook.test") continue;
		for (const endpoint of byOrg.get(event.organization_id) ?? []) {
			if (endpoint.created_at > event.created_at) continue;
			if (endpoint.events.some((pattern) => eventMatches(pattern, event.type)))
				pairs.push([event, endpoint.id]);
		}
	}

	return pairs;
}
