/**
 * How an entity description (models/) looks in GraphQL: the type and field names, each field's
 * GraphQL type, and the names of the filters and sort fields. The SDL (sdl.ts) and the
 * translation of arguments and rows (convert.ts) both read this one model, so a field is named
 * and typed in one place.
 */
import { allFields, type EntityDefinition, type Field } from "../../models/entity";

/** Names seen so far: every row of every answer renames the same few keys. */
const camelNames = new Map<string, string>();
/** Keys of analytics reports can be data (dates, ids): past this many, names are not kept. */
const CAMEL_NAMES_KEPT = 5_000;

/** `lifetime_value` → `lifetimeValue`. */
export function camel(name: string): string {
	let text = camelNames.get(name);
	if (text === undefined) {
		text = name.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
		if (camelNames.size < CAMEL_NAMES_KEPT) camelNames.set(name, text);
	}

	return text;
}

/** `lifetimeValue` → `lifetime_value`. */
export function snake(name: string): string {
	return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `customer_contact` → `CustomerContact`. */
export function pascal(name: string): string {
	const text = camel(name);

	return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A stored enum value as a GraphQL enum value (contract: `mid_market` → `MID_MARKET`); what a
 * GraphQL name cannot hold becomes `_` (`invoice.overdue` → `INVOICE_OVERDUE`).
 */
export function enumName(value: string): string {
	return value.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

/** The stored value behind a GraphQL enum value, among the field's `values`. */
export function enumValue(values: readonly string[], name: string): string {
	return values.find((v) => enumName(v) === name) ?? name.toLowerCase();
}

/**
 * A value derived from the REST row when it is turned into GraphQL (`is_overdue` of an invoice):
 * its output type and how it is computed. Functions stay in the domain service that owns the
 * model; only the SDL line crosses the transporter.
 */
export interface ComputedField {
	type: string;
	value: (row: Record<string, unknown>) => unknown;
}

/** A field the service adds to its rows, or a GraphQL type for an entity field other than JSON. */
export interface FieldTypeOverride {
	output: string;
	/** Type in Create/Update inputs; omitted: the field is output-only. */
	input?: string;
}

export interface GraphqlModelOptions {
	/** The GraphQL type name, when not the PascalCase entity name (`SalesOrder`). */
	typeName?: string;
	/**
	 * By snake_case name: extra output fields the service adds to its rows (`key` of a new API
	 * key), or GraphQL types for entity fields that would otherwise be JSON (`items`). Nested keys
	 * of such fields are translated like the row's own.
	 */
	fields?: Record<string, string | FieldTypeOverride>;
	/** Fields this entity's rows do not carry (the event log has no `version`). */
	omit?: string[];
	/** Output-only fields computed from each row, by snake_case name (`fulfillment_status`). */
	computed?: Record<string, ComputedField>;
}

export interface FieldModel {
	/** snake_case name in the store and over REST. */
	name: string;
	/** camelCase name in GraphQL. */
	gql: string;
	field: Field;
	/** Output type without the non-null mark. */
	type: string;
	nonNull: boolean;
	/** Type in inputs; undefined for read-only fields. */
	inputType?: string;
	/** Nested keys are translated (a typed override, not a JSON blob). */
	nested: boolean;
}

/** One filter argument: its GraphQL name, the REST query key it becomes, and its type. */
export interface FilterModel {
	gql: string;
	rest: string;
	field: Field;
	/** GraphQL type of one value. */
	type: string;
	list: boolean;
}

export interface GraphqlModel {
	entity: EntityDefinition;
	typeName: string;
	/** Prefix of the Query/Mutation field names: `customer`, `customerContact`. */
	single: string;
	plural: string;
	/** Noun in mutation and input names: `Customer` (`createCustomer`, `CreateCustomerInput`). */
	noun: string;
	fields: FieldModel[];
	/** Output-only fields the service adds (`key`), by snake_case name. */
	extras: Record<string, string>;
	enums: Record<string, { name: string; values: readonly string[] }>;
	filters: FilterModel[];
	/** snake_case names usable in `sort`. */
	sortable: string[];
	computed: Record<string, ComputedField>;
}

const RANGE_TYPES = new Set(["integer", "number", "money", "date", "datetime"]);
const RANGE_SUFFIXES = ["gt", "gte", "lt", "lte"];

/** The GraphQL type of a field; objects and lists of objects stay JSON unless overridden. */
function scalarType(field: Field, enumType: string): string {
	switch (field.type) {
		case "string":
			return field.format === "uuid" ? "ID" : "String";
		case "ref":
			return "ID";
		case "integer":
			return "Int";
		case "number":
		case "money":
			return "Float";
		case "boolean":
			return "Boolean";
		case "enum":
			return enumType;
		case "date":
			return "Date";
		case "datetime":
			return "DateTime";
		case "list":
			return field.items === "string" || (field.items as { type?: string }).type === "string"
				? "[String!]"
				: "JSON";
		case "object":
			return "JSON";
	}
}

function fieldModel(
	name: string,
	field: Field,
	typeName: string,
	override: FieldTypeOverride | undefined,
	system: boolean,
): FieldModel {
	const enumType = `${typeName}${pascal(name)}`;
	const type = override?.output.replace(/!$/, "") ?? scalarType(field, enumType);
	const writable = !system && !field.readOnly;

	return {
		name,
		gql: camel(name),
		field,
		type: name === "id" ? "ID" : type,
		// Only what can never be null is non-null: an update may clear any optional field.
		nonNull:
			system ||
			Boolean(field.required) ||
			(Boolean(field.readOnly) && field.default !== undefined),
		inputType: writable ? (override ? override.input : type) : undefined,
		nested: Boolean(override),
	};
}

function filtersOf(fields: FieldModel[]): FilterModel[] {
	const filters: FilterModel[] = [];
	for (const f of fields) {
		const { field } = f;
		if (field.secret || field.type === "object" || field.type === "list" || f.nested) continue;
		const range = RANGE_TYPES.has(field.type);
		// REST allows equality, `_ne` and `_in` on these (mixins/resource/query.ts).
		if (field.filter || range) {
			const type = f.type;
			filters.push({ gql: f.gql, rest: f.name, field, type, list: false });
			filters.push({ gql: `${f.gql}Ne`, rest: `${f.name}_ne`, field, type, list: false });
			filters.push({ gql: `${f.gql}In`, rest: `${f.name}_in`, field, type, list: true });
		}
		if (!range) continue;
		for (const op of RANGE_SUFFIXES) {
			const gql = `${f.gql}${pascal(op)}`;
			filters.push({ gql, rest: `${f.name}_${op}`, field, type: f.type, list: false });
		}
	}
	for (const bound of ["created_after", "created_before", "updated_after", "updated_before"]) {
		const field: Field = { type: "datetime" };
		filters.push({ gql: camel(bound), rest: bound, field, type: "DateTime", list: false });
	}

	return filters;
}

export function graphqlModel(
	entity: EntityDefinition,
	options: GraphqlModelOptions = {},
): GraphqlModel {
	const typeName = options.typeName ?? pascal(entity.name);
	const overrides = Object.fromEntries(
		Object.entries(options.fields ?? {}).map(([k, v]) => [
			k,
			typeof v === "string" ? { output: v } : v,
		]),
	);
	const omitted = new Set(options.omit ?? []);
	const all = allFields(entity);
	const fields = Object.entries(all)
		.filter(([name, field]) => !field.secret && !omitted.has(name))
		.map(([name, field]) =>
			fieldModel(name, field, typeName, overrides[name], !(name in entity.fields)),
		);
	const computed = options.computed ?? {};
	const extras = Object.fromEntries([
		...Object.entries(overrides)
			.filter(([name]) => !(name in all))
			.map(([name, o]) => [name, o.output]),
		...Object.entries(computed).map(([name, c]) => [name, c.type]),
	]);
	const enums = Object.fromEntries(
		fields
			.filter((f) => f.field.type === "enum" && !f.nested)
			.map((f) => [
				f.name,
				{ name: f.type, values: (f.field as { values: readonly string[] }).values },
			]),
	);

	return {
		entity,
		typeName,
		single: camel(entity.name),
		plural: camel(entity.plural),
		noun: pascal(entity.name),
		fields,
		extras,
		enums,
		filters: filtersOf(fields),
		sortable: fields.filter((f) => f.field.sort).map((f) => f.name),
		computed,
	};
}
