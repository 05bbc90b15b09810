/**
 * OpenAPI 3.1 (JSON Schema 2020-12) shapes of an entity, derived from its one description:
 * the resource as clients read it, the bodies they may send, and the list parameters of the
 * query language. The gateway assembles these into `/openapi.json`.
 */
import { allFields, type EntityDefinition, type Field, writableFields } from "./entity";

export type JsonSchema = Record<string, unknown>;

const RANGE_TYPES = new Set(["integer", "number", "money", "date", "datetime"]);

/** PascalCase schema name of an entity (`customer_contact` → `CustomerContact`). */
export function schemaName(entity: EntityDefinition): string {
	return entity.name
		.split("_")
		.map((part) => part.charAt(0).toUpperCase() + part.slice(1))
		.join("");
}

function baseSchema(field: Field): JsonSchema {
	switch (field.type) {
		case "string":
			return {
				type: "string",
				...(field.format ? { format: field.format === "url" ? "uri" : field.format } : {}),
				...(field.min !== undefined ? { minLength: field.min } : {}),
				...(field.max !== undefined ? { maxLength: field.max } : {}),
				...(field.pattern ? { pattern: field.pattern.source } : {}),
			};
		case "integer":
		case "number":
			return {
				type: field.type,
				...(field.min !== undefined ? { minimum: field.min } : {}),
				...(field.max !== undefined ? { maximum: field.max } : {}),
			};
		case "money":
			return {
				type: "number",
				description: "Major units of the currency, at most its minor digits",
			};
		case "enum":
			return { type: "string", enum: [...field.values] };
		case "boolean":
			return { type: "boolean" };
		case "date":
			return { type: "string", format: "date" };
		case "datetime":
			return { type: "string", format: "date-time" };
		case "object":
			return { type: "object", additionalProperties: true };
		case "ref":
			return { type: "string", format: "uuid", description: `Id of a ${field.service} row` };
		case "list":
			return {
				type: "array",
				items: typeof field.items === "string" ? { type: field.items } : {},
				maxItems: field.max ?? 100,
				...(field.min ? { minItems: field.min } : {}),
				...(field.distinct ? { uniqueItems: true } : {}),
			};
	}
}

function fieldSchema(field: Field, nullable: boolean): JsonSchema {
	const schema = baseSchema(field);
	const described = field.description ? { ...schema, description: field.description } : schema;
	if (!nullable) return described;
	const type = described.type as string;

	return {
		...described,
		type: [type, "null"],
		...(described.enum ? { enum: [...(described.enum as string[]), null] } : {}),
	};
}

/** The resource as every response shows it (secret fields never appear). */
export function resourceSchema(entity: EntityDefinition): JsonSchema {
	const fields = Object.entries(allFields(entity)).filter(([, f]) => !f.secret);
	const properties = Object.fromEntries(
		fields.map(([name, f]) => [name, fieldSchema(f, !f.required && !f.readOnly)]),
	);
	const required = fields.filter(([, f]) => f.required || f.readOnly).map(([n]) => n);

	return { type: "object", properties, required };
}

/** A create or update body: only writable fields, nothing else (unknown keys are 400). */
export function bodySchema(entity: EntityDefinition, mode: "create" | "update"): JsonSchema {
	const names = writableFields(entity, mode);
	const properties = Object.fromEntries(
		names.map((n) => [
			n,
			fieldSchema(entity.fields[n], !entity.fields[n].required || mode === "update"),
		]),
	);
	const required =
		mode === "create"
			? names.filter((n) => entity.fields[n].required && !entity.fields[n].immutable)
			: [];

	return {
		type: "object",
		properties,
		additionalProperties: false,
		...(required.length ? { required } : {}),
	};
}

export interface QueryParameter {
	name: string;
	in: "query";
	required?: boolean;
	description: string;
	schema: JsonSchema;
}

/** The list parameters of the contract's query language for this entity. */
export function listParameters(entity: EntityDefinition): QueryParameter[] {
	const params: QueryParameter[] = [
		{
			name: "page",
			in: "query",
			description: "Page number, from 1",
			schema: { type: "integer", minimum: 1 },
		},
		{
			name: "limit",
			in: "query",
			description: "Rows per page (default 50)",
			schema: { type: "integer", minimum: 1, maximum: 100 },
		},
		{
			name: "cursor",
			in: "query",
			description: "Opaque cursor from next_cursor or prev_cursor",
			schema: { type: "string" },
		},
		{
			name: "sort",
			in: "query",
			description: "field:asc|desc, comma-separated; id breaks ties",
			schema: { type: "string" },
		},
		{
			name: "fields",
			in: "query",
			description: "Comma list of fields to return (id always kept)",
			schema: { type: "string" },
		},
		{
			name: "q",
			in: "query",
			description: "Case-insensitive text search",
			schema: { type: "string", maxLength: 200 },
		},
	];
	if (entity.relations) {
		const names = Object.keys(entity.relations).join(", ");
		params.push({
			name: "include",
			in: "query",
			description: `Relations to embed: ${names}`,
			schema: { type: "string" },
		});
	}
	for (const bound of ["created_after", "created_before", "updated_after", "updated_before"]) {
		params.push({
			name: bound,
			in: "query",
			description: "RFC 3339 date-time or date",
			schema: { type: "string" },
		});
	}
	for (const [field, spec] of Object.entries(allFields(entity))) {
		if (spec.secret) continue;
		const schema = baseSchema(spec);
		if (spec.filter || RANGE_TYPES.has(spec.type)) {
			params.push({ name: field, in: "query", description: `${field} equals`, schema });
			params.push({
				name: `${field}_ne`,
				in: "query",
				description: `${field} differs`,
				schema,
			});
			params.push({
				name: `${field}_in`,
				in: "query",
				description: `${field} is one of (comma list)`,
				schema: { type: "string" },
			});
		}
		if (RANGE_TYPES.has(spec.type)) {
			for (const op of ["gt", "gte", "lt", "lte"]) {
				params.push({
					name: `${field}_${op}`,
					in: "query",
					description: `${field} ${op}`,
					schema,
				});
			}
		}
	}

	return params;
}
