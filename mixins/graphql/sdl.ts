/**
 * The SDL of one entity, derived from its GraphQL model: the object type and its enums, the
 * Create/Update inputs, the filter and sort inputs, the Relay connection and the bulk result.
 * Shared types (scalars, PageInfo, PaginationInput, SortDirection, ItemError) live in the
 * gateway (services/api/graphql-schema.ts).
 */
import { camel, enumName, type FieldModel, type GraphqlModel } from "./model";

function description(text: string | undefined): string {
	return text ? `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}" ` : "";
}

function block(keyword: string, name: string, lines: string[]): string {
	return `${keyword} ${name} {\n\t${lines.join("\n\t")}\n}`;
}

export function enumsSDL(model: GraphqlModel): string[] {
	return Object.values(model.enums).map((e) => block("enum", e.name, e.values.map(enumName)));
}

function outputLine(f: FieldModel): string {
	return `${description(f.field.description)}${f.gql}: ${f.type}${f.nonNull ? "!" : ""}`;
}

/** `type Customer { … }`, with `extra` lines (relation fields declared by the same service). */
export function objectTypeSDL(model: GraphqlModel, extra: string[] = []): string {
	const extras = Object.entries(model.extras).map(([name, type]) => `${camel(name)}: ${type}`);

	return block("type", model.typeName, [...model.fields.map(outputLine), ...extras, ...extra]);
}

export function inputsSDL(model: GraphqlModel): string[] {
	const writable = model.fields.filter((f) => f.inputType !== undefined);
	const create = writable.map(
		(f) =>
			`${f.gql}: ${f.inputType}${f.field.required && !f.inputType?.endsWith("!") ? "!" : ""}`,
	);
	const update = writable
		.filter((f) => !f.field.immutable)
		.map((f) => `${f.gql}: ${f.inputType?.replace(/!$/, "")}`);
	const inputs = [block("input", `Create${model.noun}Input`, create)];
	if (update.length) inputs.push(block("input", `Update${model.noun}Input`, update));

	return inputs;
}

/** The filters of the REST list (`segment`, `segmentIn`, `lifetimeValueGte`, `q`, …). */
export function filterSDL(model: GraphqlModel): string {
	const lines = model.filters.map((f) => `${f.gql}: ${f.list ? `[${f.type}!]` : f.type}`);

	return block("input", `${model.typeName}Filter`, [
		'"Text search over the searchable fields" q: String',
		...lines,
	]);
}

export function sortSDL(model: GraphqlModel): string[] {
	return [
		block("enum", `${model.typeName}SortField`, model.sortable.map(enumName)),
		block("input", `${model.typeName}Sort`, [
			`field: ${model.typeName}SortField!`,
			"direction: SortDirection = ASC",
		]),
	];
}

export function connectionSDL(model: GraphqlModel): string[] {
	const t = model.typeName;

	return [
		block("type", `${t}Edge`, [`node: ${t}!`, "cursor: String!"]),
		block("type", `${t}Connection`, [
			`edges: [${t}Edge!]!`,
			`nodes: [${t}!]!`,
			"pageInfo: PageInfo!",
			"totalCount: Int!",
		]),
	];
}

export function bulkSDL(model: GraphqlModel): string[] {
	const n = model.noun;

	return [
		block("type", `Bulk${n}Item`, [
			"index: Int!",
			"status: BulkItemStatus!",
			"id: ID",
			`data: ${model.typeName}`,
			"error: ItemError",
		]),
		block("type", `Bulk${n}Result`, [
			`results: [Bulk${n}Item!]!`,
			"succeeded: Int!",
			"failed: Int!",
		]),
		block("input", `BulkUpdate${n}Input`, ["id: ID!", `input: Update${n}Input!`]),
	];
}
