/**
 * What one socket asked to receive: event type patterns (`order.created`, `order.*`, `*`), each
 * for every entity or only for some entity ids (`data.object.id`). Held in memory on the node
 * the socket is connected to; a reconnecting client subscribes again.
 */
import Validator, { type ValidationError as FvError } from "fastest-validator";
import type { DomainEvent } from "../../mixins/events.mixin";
import { type ErrorDetail, validationError } from "../../models/errors";
import { EVENT_TYPES, eventMatches } from "../../models/event";
import { VALIDATOR_MESSAGES } from "../../models/validator-messages";

export interface SubscriptionRequest {
	types: string[];
	ids?: string[];
}

export interface SubscriptionView {
	type: string;
	/** null: every entity of the type. */
	ids: string[] | null;
}

/** Bounds on one socket's interest, so a client cannot make every event cost it unbounded work. */
const MAX_TYPES = 100;
const MAX_IDS = 10_000;

const checkRequest = new Validator({ messages: VALIDATOR_MESSAGES }).compile({
	$$root: false,
	$$strict: true,
	types: {
		type: "array",
		min: 1,
		max: MAX_TYPES,
		items: { type: "string", min: 1, max: 100 },
	},
	ids: {
		type: "array",
		optional: true,
		min: 1,
		max: 1000,
		items: { type: "string", min: 1, max: 200 },
	},
});

/** A `subscribe`/`unsubscribe` payload, or VALIDATION_ERROR naming what is wrong with it. */
export function parseSubscription(payload: unknown): SubscriptionRequest {
	if (typeof payload !== "object" || payload === null || Array.isArray(payload))
		throw validationError([
			{ field: "payload", message: "must be {types: [...], ids?: [...]}" },
		]);
	const result = checkRequest(payload);
	if (result !== true) {
		throw validationError(
			(result as FvError[]).map((e) => ({
				field: e.field ?? "payload",
				message: e.message?.replace(/^The '.*?' field /, "") ?? "is invalid",
				value: e.actual,
			})),
		);
	}
	const request = payload as SubscriptionRequest;
	// A pattern no catalogue type matches is a typo
	// (`order.shiped`), not a wish to receive nothing.
	const unknown: ErrorDetail[] = request.types
		.map((type, i) => ({ type, i }))
		.filter(({ type }) => !EVENT_TYPES.some((known) => eventMatches(type, known)))
		.map(({ type, i }) => ({
			field: `types[${i}]`,
			message: "matches no event type",
			value: type,
		}));
	if (unknown.length) throw validationError(unknown);

	return request;
}

export class Subscriptions {
	/** Pattern → the entity ids it is limited to, or null for every entity. */
	private patterns = new Map<string, Set<string> | null>();

	/** Adds the types (for every entity, or for more ids); all or nothing when over the bounds. */
	add(request: SubscriptionRequest): void {
		const next = new Map(this.patterns);
		for (const type of request.types) {
			const current = next.get(type);
			if (!request.ids || current === null) next.set(type, null);
			else next.set(type, new Set([...(current ?? []), ...request.ids]));
		}
		if (next.size > MAX_TYPES)
			throw validationError([
				{ field: "types", message: `at most ${MAX_TYPES} types per socket` },
			]);
		const ids = [...next.values()].reduce((n, set) => n + (set?.size ?? 0), 0);
		if (ids > MAX_IDS)
			throw validationError([{ field: "ids", message: `at most ${MAX_IDS} ids per socket` }]);
		this.patterns = next;
	}

	/**
	 * Without ids, drops the types. With ids, removes those ids from the types' lists and drops a
	 * type left with none; a type subscribed for every entity is not narrowed by ids.
	 */
	remove(request: SubscriptionRequest): void {
		for (const type of request.types) {
			const current = this.patterns.get(type);
			if (current === undefined) continue;
			if (!request.ids) {
				this.patterns.delete(type);
				continue;
			}
			if (current === null) continue;
			for (const id of request.ids) current.delete(id);
			if (current.size === 0) this.patterns.delete(type);
		}
	}

	matches(event: DomainEvent): boolean {
		const objectId = event.data?.object?.id;
		for (const [pattern, ids] of this.patterns) {
			if (!eventMatches(pattern, event.type)) continue;
			if (ids === null || (typeof objectId === "string" && ids.has(objectId))) return true;
		}

		return false;
	}

	list(): SubscriptionView[] {
		return [...this.patterns].map(([type, ids]) => ({ type, ids: ids ? [...ids] : null }));
	}
}
