/**
 * The one description of an entity. Its fields say how each value is typed, validated, filtered,
 * sorted and searched; the validator schemas, the TypeScript record type, and later the OpenAPI
 * and GraphQL shapes are derived from it, never written a second time.
 */
import type { ValidationRule } from "fastest-validator";

interface FieldBase {
	/** One line for the generated API reference. */
	description?: string;
	/** Must be given on create. */
	required?: boolean;
	/** Set by the server (computed or system values); a client sending it gets 400. */
	readOnly?: boolean;
	/** Accepted on create, refused (400) on update: the parent of a child resource, say. */
	immutable?: boolean;
	/** Usable as an equality / `_in` / `_ne` filter (range filters follow from the type). */
	filter?: boolean;
	/** Usable in `sort`. */
	sort?: boolean;
	/** Searched by `q`. */
	search?: boolean;
	/** Unique within an organization; `"global"`: across all of them (an organization's slug). */
	unique?: boolean | "global";
	/** Kept in a store index. */
	index?: boolean;
	/** Hidden from every response (password hashes, secret hashes). */
	secret?: boolean;
	default?: unknown;
}

export interface StringField extends FieldBase {
	type: "string";
	min?: number;
	max?: number;
	pattern?: RegExp;
	/** What a value not matching `pattern` is told (instead of the validator's generic line). */
	patternMessage?: string;
	format?: "email" | "url" | "uuid";
}
export interface NumberField extends FieldBase {
	type: "integer" | "number";
	min?: number;
	max?: number;
}
/** An amount of money: integer minor units in the store, major units in JSON (contract). */
export interface MoneyField extends FieldBase {
	type: "money";
	min?: number;
}
export interface EnumField<V extends string = string> extends FieldBase {
	type: "enum";
	values: readonly V[];
}
export interface BooleanField extends FieldBase {
	type: "boolean";
}
/** `date` is `YYYY-MM-DD`; `datetime` is RFC 3339, stored normalised to UTC with milliseconds. */
export interface DateField extends FieldBase {
	type: "date" | "datetime";
}
export interface ObjectField extends FieldBase {
	type: "object";
	/** Largest JSON size in bytes (metadata blobs). */
	maxBytes?: number;
}
/** A reference to another entity of the same organization. */
export interface RefField extends FieldBase {
	type: "ref";
	/** The service holding the referenced entity. */
	service: string;
}
export interface ListField extends FieldBase {
	type: "list";
	items: "string" | ValidationRule;
	min?: number;
	max?: number;
	/** No item may appear twice. */
	distinct?: boolean;
}

export type Field =
	| StringField
	| NumberField
	| MoneyField
	| EnumField
	| BooleanField
	| DateField
	| ObjectField
	| RefField
	| ListField;

export type Fields = Record<string, Field>;

/** A relation that `include=` embeds, always loaded in one batch per page. */
export interface Relation {
	/** Service whose `findMany` action loads the related rows. */
	service: string;
	/** `many`: rows whose `foreignKey` is this row's id; `one`: the row whose id is `localKey`. */
	kind: "many" | "one";
	foreignKey?: string;
	localKey?: string;
}

export interface EntityDefinition<F extends Fields = Fields> {
	/** Singular snake_case name: the event prefix (`customer.created`) and the error noun. */
	name: string;
	/** Plural kebab-case: the URL segment and the service name (`customer-contacts`). */
	plural: string;
	fields: F;
	relations?: Record<string, Relation>;
	/** The field holding the ISO 4217 code of the entity's money fields. */
	currencyField?: string;
	/** The field of the parent in the URL for child resources (`customer_id`). */
	parentField?: string;
	/** Default sort when the client gives none (always followed by `id`). */
	defaultSort?: string;
}

export function defineEntity<F extends Fields>(
	definition: EntityDefinition<F>,
): EntityDefinition<F> {
	return definition;
}

/** Fields every stored resource has; all are read-only to clients. */
export const SYSTEM_FIELDS = {
	id: { type: "string", format: "uuid", readOnly: true, filter: true, sort: true },
	organization_id: { type: "string", format: "uuid", readOnly: true },
	version: { type: "integer", readOnly: true },
	created_at: { type: "datetime", readOnly: true, sort: true },
	updated_at: { type: "datetime", readOnly: true, sort: true },
} as const satisfies Fields;

export interface SystemRecord {
	id: string;
	organization_id: string;
	version: number;
	created_at: string;
	updated_at: string;
}

type FieldValue<F> =
	F extends EnumField<infer V>
		? V
		: F extends { type: "integer" | "number" | "money" }
			? number
			: F extends { type: "boolean" }
				? boolean
				: F extends { type: "object" }
					? Record<string, unknown>
					: F extends { type: "list" }
						? unknown[]
						: string;

type RequiredKeys<F extends Fields> = {
	[K in keyof F]: F[K] extends { required: true } ? K : never;
}[keyof F];

/** The record type of an entity as clients see it. */
export type RecordOf<E extends EntityDefinition> = SystemRecord & {
	[K in RequiredKeys<E["fields"]>]: FieldValue<E["fields"][K]>;
} & {
	[K in Exclude<keyof E["fields"], RequiredKeys<E["fields"]>>]?: FieldValue<
		E["fields"][K]
	> | null;
};

/** The singular noun of a plural service name, for messages (`opportunities` → `opportunity`). */
export function singularOf(plural: string): string {
	return plural.endsWith("ies") ? `${plural.slice(0, -3)}y` : plural.replace(/s$/, "");
}

/** Every field of the entity, system fields included. */
export function allFields(entity: EntityDefinition): Fields {
	return { ...SYSTEM_FIELDS, ...entity.fields };
}

/**
 * The entry `name` of a table of fields or relations, only when the table has it itself: a
 * client's `constructor`, `toString` or `__proto__` names an inherited member, never a field.
 */
export function ownEntry<T>(
	table: Readonly<Record<string, T>> | undefined,
	name: string,
): T | undefined {
	return table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Fields a client may send: on create, all but read-only; on update, also not immutable. */
export function writableFields(entity: EntityDefinition, mode: "create" | "update"): string[] {
	return Object.entries(entity.fields)
		.filter(([, f]) => !f.readOnly && !(mode === "update" && f.immutable))
		.map(([name]) => name);
}

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The fastest-validator rule of one field; strings are checked, never silently changed. */
export function validatorRule(field: Field, mode: "create" | "update"): ValidationRule {
	const optional = mode === "update" || !field.required;
	const base = { optional, nullable: optional && !field.required } as const;
	switch (field.type) {
		case "string":
			if (field.format === "email") return { ...base, type: "email", max: field.max ?? 254 };
			if (field.format === "url") return { ...base, type: "url" };
			if (field.format === "uuid") return { ...base, type: "uuid" };

			return {
				...base,
				type: "string",
				min: field.min,
				max: field.max ?? 10000,
				pattern: field.pattern,
				...(field.patternMessage
					? { messages: { stringPattern: field.patternMessage } }
					: {}),
			};
		case "integer":
			return { ...base, type: "number", integer: true, min: field.min, max: field.max };
		case "number":
			return { ...base, type: "number", min: field.min, max: field.max };
		case "money":
			// A trillion: in minor units of a three-digit
			// currency (KWD) still under 2^53, so exact.
			return { ...base, type: "number", min: field.min, max: 1e12 };
		case "enum":
			return { ...base, type: "enum", values: [...field.values] };
		case "boolean":
			return { ...base, type: "boolean" };
		case "date":
			return {
				...base,
				type: "string",
				pattern: DATE_PATTERN,
				messages: { stringPattern: "must be a date YYYY-MM-DD" },
			};
		case "datetime":
			return {
				...base,
				type: "string",
				pattern: DATETIME_PATTERN,
				messages: { stringPattern: "must be an RFC 3339 date-time" },
			};
		case "object":
			return { ...base, type: "object" };
		case "ref":
			return { ...base, type: "uuid" };
		case "list":
			return {
				...base,
				type: "array",
				min: field.min,
				max: field.max ?? 100,
				unique: field.distinct,
				items: field.items,
				messages: { arrayUnique: "must not name an item twice" },
			};
	}
}

/** The validator schema for a create or update body (unknown keys are caught before this). */
export function validatorSchema(
	entity: EntityDefinition,
	mode: "create" | "update",
): Record<string, ValidationRule> {
	const fields = writableFields(entity, mode).map((name) => [
		name,
		validatorRule(entity.fields[name], mode),
	]);

	return Object.fromEntries(fields);
}
