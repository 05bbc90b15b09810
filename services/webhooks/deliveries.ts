/**
 * The delivery row and its life in the store, which is the only source of truth for what is
 * still to send and when. A row waits (`pending`, or `failed` with a retry scheduled) until its
 * `next_attempt_at`; then it is either `queued` (a "deliver now" message is on its way to the
 * workers) or leased by one worker for one attempt. Both marks expire: a lost message or a
 * worker killed mid-POST leaves a row the poller finds due again, with the same `webhook-id`.
 */
import type { StoredDoc } from "../../mixins/db.mixin";
import type { DomainEvent } from "../../mixins/events.mixin";
import { eventMatches } from "../../models/event";
import { deliveryId, OPEN_STATUSES, type RetryConfig } from "../../models/webhook";
import { NO_LEASE } from "./schedule";

/** The channel carrying "deliver now" messages (a command: contract naming). */
export const DELIVER_CHANNEL = "webhooks.deliver";

/** Redis streams are trimmed to about this many entries; a trimmed message is re-sent from the store. */
export const STREAM_MAX_LEN = "~100000";

/** `lease_owner` of a row whose message is on its way. */
export const QUEUED = "queued";

/** A worker holds a row this long per lease; it renews while its POST is still running. */
export const LEASE_MS = 20_000;
export const LEASE_RENEW_MS = 5_000;

/** A queued row whose message has not been claimed by then is sent again. */
export const QUEUE_GRACE_MS = 60_000;

/** The message on DELIVER_CHANNEL: which row to attempt (everything else is in the store). */
export interface DeliverMessage {
	id: string;
}

/** What a worker needs for one attempt, handed out with the lease. */
export interface Claim {
	id: string;
	/** The lease's owner id: the worker's, with a token of this claim (renew and complete name it). */
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

/** Rows among `ids` that may be claimed now: waiting, due, and queued or with an expired lease. */
export function claimableQuery(ids: string[], now: string): Record<string, unknown> {
	return {
		_id: { $in: ids },
		status: { $in: OPEN_STATUSES },
		next_attempt_at: { $lte: now },
		$or: [{ lease_owner: QUEUED }, { lease_expires_at: { $lt: now } }],
	};
}

/** Rows the poller sends: due, and neither queued nor leased (or that mark has expired). */
export function dueQuery(now: string): Record<string, unknown> {
	return { due_at: { $lt: now } };
}

/** The event exactly as delivered: the contract's envelope, serialised once for every attempt. */
export function payloadOf(event: DomainEvent): string {
	const { id, type, organization_id, created_at, request_id, actor, data } = event;

	return JSON.stringify({ id, type, organization_id, created_at, request_id, actor, data });
}

/** A new row for `event` to `webhookId`; `queuedUntil` marks it as already sent to the workers. */
export function newDelivery(
	event: DomainEvent,
	webhookId: string,
	now: number,
	queuedUntil?: number,
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
		payload: payloadOf(event),
		lease_owner: queuedUntil ? QUEUED : null,
		lease_expires_at: queuedUntil ? iso(queuedUntil) : NO_LEASE,
		due_at: iso(queuedUntil ?? now),
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
