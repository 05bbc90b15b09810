/**
 * Field descriptions several entities share, so a rule (how long a name may be, how a parent
 * reference is indexed) is written once. Each returns a literal object: `RecordOf` reads the
 * `required: true` and the enum values from its type.
 */

/** A record's display name: required, searchable, sortable. */
export const NAME_FIELD = {
	type: "string",
	min: 1,
	max: 200,
	required: true,
	filter: true,
	sort: true,
	search: true,
} as const;

/**
 * The record this one belongs to (an order's customer, a payment's invoice): required, fixed
 * once set, and indexed, because lists are filtered by it more than by anything else.
 */
export function ownerRef<S extends string>(service: S) {
	return {
		type: "ref",
		service,
		required: true,
		immutable: true,
		filter: true,
		index: true,
	} as const;
}

/**
 * A status moved only by workflow actions (`POST /orders/{id}/ship`), never written directly;
 * its transitions live in the entity's state machine (models/state-machine.ts).
 */
export function workflowStatus<V extends readonly string[]>(values: V, initial: V[number]) {
	return {
		type: "enum",
		values,
		default: initial,
		readOnly: true,
		filter: true,
		sort: true,
	} as const;
}

/**
 * Your own id for a record, matched by imports: unique in the organization, never empty and
 * without surrounding whitespace, so `"ALFKI "` cannot sit beside `"ALFKI"` as another record.
 */
export function externalId(noun: string) {
	return {
		type: "string",
		min: 1,
		max: 100,
		pattern: /^\S(?:.*\S)?$/,
		patternMessage: "must not start or end with whitespace",
		unique: true,
		filter: true,
		description: `Your own id for the ${noun}; unique in the organization, used by imports`,
	} as const;
}
