/**
 * Webhook endpoints and their deliveries, each described once (contract: "Webhooks"). An
 * endpoint's secret is stored as given (it keys an HMAC, so it cannot be hashed) and never
 * leaves the service except in the answer to its creation or rotation.
 */
import crypto from "node:crypto";
import { defineEntity, type RecordOf } from "./entity";
import type { ErrorDetail } from "./errors";
import { EVENT_TYPES } from "./event";

export interface RetryConfig {
	/** Retries after the first attempt (3 → at most 4 attempts). */
	max_retries: number;
	/** Delay before the first retry, in milliseconds. */
	retry_delay: number;
	/** Each further retry waits this many times longer than the one before. */
	backoff_multiplier: number;
}

export const DEFAULT_RETRY_CONFIG: RetryConfig = {
	max_retries: 8,
	retry_delay: 5000,
	backoff_multiplier: 5,
};

/** Inclusive bounds of each retry_config field (contract: max_retries 0–20). */
export const RETRY_BOUNDS: Record<
	keyof RetryConfig,
	{ min: number; max: number; integer: boolean }
> = {
	max_retries: { min: 0, max: 20, integer: true },
	retry_delay: { min: 100, max: 86_400_000, integer: true },
	backoff_multiplier: { min: 1, max: 10, integer: false },
};

export const DELIVERY_STATUSES = ["pending", "failed", "succeeded", "dead"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Statuses a delivery waits in for its next attempt. */
export const OPEN_STATUSES: DeliveryStatus[] = ["pending", "failed"];

export const Webhook = defineEntity({
	name: "webhook",
	plural: "webhooks",
	defaultSort: "created_at:desc",
	fields: {
		url: {
			type: "string",
			min: 1,
			max: 2048,
			required: true,
			filter: true,
			sort: true,
			search: true,
			description: "Where events are POSTed; https in production, never a private address",
		},
		description: { type: "string", max: 500, search: true },
		events: {
			type: "list",
			items: { type: "string", min: 1, max: 100 },
			max: 100,
			required: true,
			description: "Event types or wildcards (`order.*`, `*`) from the catalogue",
		},
		secret: {
			type: "string",
			min: 16,
			max: 256,
			secret: true,
			immutable: true,
			description: "Signing secret; generated (`whsec_…`) when not given and shown once",
		},
		previous_secret: { type: "string", secret: true, readOnly: true },
		previous_secret_expires_at: {
			type: "datetime",
			readOnly: true,
			description: "Until then the secret replaced by the last rotation also signs",
		},
		is_active: { type: "boolean", default: true, filter: true },
		retry_config: {
			type: "object",
			maxBytes: 256,
			description:
				"max_retries (0–20, default 8), retry_delay ms (5000), backoff_multiplier (5)",
		},
		disabled_reason: { type: "string", readOnly: true },
		disabled_at: { type: "datetime", readOnly: true },
		consecutive_failures: { type: "integer", readOnly: true, default: 0 },
		failing_since: { type: "datetime", readOnly: true },
	},
});
export type WebhookRecord = RecordOf<typeof Webhook>;

/**
 * Rows are rewritten several times per delivery, so only fields whose values are nearly unique
 * are indexed: on NeDB an index update costs time linear in the rows sharing a key (`status`
 * or `webhook_id` would make every write slower as the log grows).
 */
export const WebhookDelivery = defineEntity({
	name: "webhook_delivery",
	plural: "webhook-deliveries",
	parentField: "webhook_id",
	defaultSort: "created_at:desc",
	fields: {
		webhook_id: { type: "ref", service: "webhooks", readOnly: true },
		event_id: { type: "string", readOnly: true, filter: true },
		event_type: { type: "string", readOnly: true, filter: true, sort: true },
		status: {
			type: "enum",
			values: DELIVERY_STATUSES,
			readOnly: true,
			filter: true,
			sort: true,
		},
		attempts: { type: "integer", readOnly: true, sort: true, description: "Attempts so far" },
		next_attempt_at: { type: "datetime", readOnly: true, sort: true },
		last_attempt_at: { type: "datetime", readOnly: true, sort: true },
		last_status_code: { type: "integer", readOnly: true, filter: true },
		last_latency_ms: { type: "integer", readOnly: true },
		last_error: { type: "string", readOnly: true, description: "Why the last attempt failed" },
		dead_reason: { type: "string", readOnly: true, description: "Why no attempt is left" },
		delivered_at: { type: "datetime", readOnly: true, sort: true },
		/** Attempts since the schedule last started (a redelivery starts it again). */
		round_attempts: { type: "integer", readOnly: true, secret: true },
		/**
		 * The token of the one message entitled to the next
		 * attempt (see services/webhooks/deliveries.ts).
		 */
		lease: { type: "string", readOnly: true, secret: true },
		/**
		 * When the poller must next look at the row: its next attempt, or the end of its lease;
		 * absent once nothing is left to do (a sparse index holds open rows only).
		 */
		due_at: { type: "string", readOnly: true, secret: true },
	},
});
export type WebhookDeliveryRecord = RecordOf<typeof WebhookDelivery>;

/** Namespace of delivery ids (a fixed random UUID, RFC 9562 name-based ids). */
const DELIVERY_NAMESPACE = Buffer.from("8f0d7a4e5c2b4e1f9a3d6b7c8e9f0a1b", "hex");

/**
 * The id of the one delivery of `eventId` to `endpointId`: a name-based (version 5) UUID, so
 * two fan-outs of the same event, on any node, collide on the store's primary key instead of
 * sending twice.
 */
export function deliveryId(eventId: string, endpointId: string): string {
	const hash = crypto
		.createHash("sha1")
		.update(DELIVERY_NAMESPACE)
		.update(`${eventId}/${endpointId}`)
		.digest();
	hash[6] = (hash[6] & 0x0f) | 0x50;
	hash[8] = (hash[8] & 0x3f) | 0x80;
	const hex = hash.subarray(0, 16).toString("hex");

	const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];

	return [...parts, hex.slice(20)].join("-");
}

const PATTERN = /^(\*|[a-z_]+\.(\*|[a-z_]+))$/;
const PREFIXES = new Set(EVENT_TYPES.map((t) => t.split(".")[0]));

/** Details for each entry of `events` that names nothing in the catalogue. */
export function eventPatternDetails(events: string[]): ErrorDetail[] {
	if (events.length === 0) return [{ field: "events", message: "must name at least one event" }];

	return events
		.map((pattern, i): ErrorDetail | undefined => {
			const known =
				PATTERN.test(pattern) &&
				(pattern === "*" ||
					(pattern.endsWith(".*")
						? PREFIXES.has(pattern.slice(0, -2))
						: (EVENT_TYPES as readonly string[]).includes(pattern)));

			return known
				? undefined
				: {
						field: `events[${i}]`,
						message: "is not an event type or wildcard",
						value: pattern,
					};
		})
		.filter((d): d is ErrorDetail => d !== undefined);
}

/** `retry_config` as given, merged over `base`, or the details of what is out of bounds. */
export function resolveRetryConfig(
	given: unknown,
	base: RetryConfig = DEFAULT_RETRY_CONFIG,
): RetryConfig | ErrorDetail[] {
	if (given === null || given === undefined) return { ...base };
	if (typeof given !== "object" || Array.isArray(given))
		return [{ field: "retry_config", message: "must be an object" }];
	const details: ErrorDetail[] = [];
	const merged: RetryConfig = { ...base };
	for (const [key, value] of Object.entries(given)) {
		const bounds = RETRY_BOUNDS[key as keyof RetryConfig];
		const field = `retry_config.${key}`;
		if (!bounds) {
			details.push({ field, message: "is not a retry setting", value });
			continue;
		}
		const ok =
			typeof value === "number" &&
			Number.isFinite(value) &&
			(!bounds.integer || Number.isInteger(value)) &&
			value >= bounds.min &&
			value <= bounds.max;
		if (!ok) {
			const kind = bounds.integer ? "a whole number" : "a number";
			details.push({
				field,
				message: `must be ${kind} from ${bounds.min} to ${bounds.max}`,
				value,
			});
			continue;
		}
		merged[key as keyof RetryConfig] = value as number;
	}

	return details.length ? details : merged;
}
