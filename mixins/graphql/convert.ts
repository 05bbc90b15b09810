/**
 * GraphQL arguments to the REST params shape and REST rows back to GraphQL objects. Filters,
 * sort and pagination become the REST query language, so a GraphQL list is parsed, validated and
 * paged by the same code as `GET …/customers?…` (mixins/resource/query.ts).
 */
import type { Field } from "../../models/entity";
import { validationError } from "../../models/errors";
import type { Page } from "../resource.mixin";
import { cursorTowards } from "../resource/cursor";
import type { RawQuery } from "../resource/query";
import { camel, enumName, enumValue, type FieldModel, type GraphqlModel, snake } from "./model";

type Row = Record<string, unknown>;

export interface ListArgs {
	filter?: Row | null;
	sort?: Array<{ field: string; direction?: "ASC" | "DESC" | null }> | null;
	pagination?: {
		first?: number | null;
		after?: string | null;
		last?: number | null;
		before?: string | null;
		page?: number | null;
	} | null;
}

export interface Connection {
	edges: Array<{ node: Row; cursor: string | null }>;
	nodes: Row[];
	pageInfo: {
		hasNextPage: boolean;
		hasPreviousPage: boolean;
		startCursor: string | null;
		endCursor: string | null;
	};
	totalCount: number;
}

function isPlainObject(value: unknown): value is Row {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Renames every key of a typed nested value (order lines), leaving the values. */
function renameDeep(value: unknown, rename: (key: string) => string): unknown {
	if (Array.isArray(value)) return value.map((v) => renameDeep(v, rename));
	if (!isPlainObject(value) || value instanceof Date) return value;

	return Object.fromEntries(
		Object.entries(value).map(([k, v]) => [rename(k), renameDeep(v, rename)]),
	);
}

/** One scalar as the store and the REST layer write it (`MID_MARKET` → `mid_market`). */
function restValue(field: Field, value: unknown): unknown {
	if (value instanceof Date) {
		const iso = value.toISOString();

		return field.type === "date" ? iso.slice(0, 10) : iso;
	}
	if (field.type === "enum" && typeof value === "string") return enumValue(field.values, value);

	return value;
}

/** Each model's fields by REST name, built once: every row of every answer looks them up. */
const fieldsByName = new WeakMap<GraphqlModel, Map<string, FieldModel>>();

function byName(model: GraphqlModel): Map<string, FieldModel> {
	let fields = fieldsByName.get(model);
	if (!fields) {
		fields = new Map(model.fields.map((f) => [f.name, f]));
		fieldsByName.set(model, fields);
	}

	return fields;
}

/** A REST row (snake_case, lowercase enums) as the GraphQL type expects it. */
export function toGraphql(model: GraphqlModel, row: Row): Row {
	const fields = byName(model);
	const out: Row = {};
	for (const key in row) {
		const value = row[key];
		const f = fields.get(key);
		if (!f) out[camel(key)] = value;
		else if (f.nested) out[f.gql] = renameDeep(value, camel);
		else if (f.field.type === "enum" && typeof value === "string") out[f.gql] = enumName(value);
		else out[f.gql] = value;
	}
	for (const name in model.computed) out[camel(name)] = model.computed[name].value(row);

	return out;
}

/** A REST value that belongs to no entity (an analytics report) with every key camelCase. */
export function toGraphqlDeep(value: Row): Row {
	return renameDeep(value, camel) as Row;
}

/** A Create/Update input as a REST body; the REST body checker then validates it. */
export function toRestBody(model: GraphqlModel, input: Row | null | undefined): Row {
	const fields = new Map(model.fields.map((f) => [f.gql, f]));
	const body: Row = {};
	for (const [key, value] of Object.entries(input ?? {})) {
		const f = fields.get(key);
		// Unknown keys cannot pass the GraphQL schema; kept, the body checker would name them.
		if (!f) body[snake(key)] = value;
		else if (value === null) body[f.name] = null;
		else if (f.nested) body[f.name] = renameDeep(value, snake);
		else body[f.name] = restValue(f.field, value);
	}

	return body;
}

function queryValue(field: Field, value: unknown): string {
	return String(restValue(field, value));
}

function paginationQuery(pagination: NonNullable<ListArgs["pagination"]>): RawQuery {
	const { first, after, last, before, page } = pagination;
	const query: RawQuery = {};
	if (first != null && last != null)
		throw validationError([{ field: "pagination", message: "give first or last, not both" }]);
	if (last != null && before == null)
		throw validationError([{ field: "pagination.last", message: "needs before" }]);
	const limit = first ?? last;
	if (limit != null) query.limit = String(limit);
	if (after != null && before != null)
		throw validationError([{ field: "pagination", message: "give after or before, not both" }]);
	if (after != null) query.cursor = after;
	// An edge's cursor reads forward; `before` reads backward from the same row.
	if (before != null) query.cursor = cursorTowards(before, "prev");
	if (page != null) query.page = String(page);

	return query;
}

/** `filter`, `sort` and `pagination` as the REST list's query string. */
export function toRestQuery(model: GraphqlModel, args: ListArgs): RawQuery {
	const filters = new Map(model.filters.map((f) => [f.gql, f]));
	const query: RawQuery = {};
	for (const [key, value] of Object.entries(args.filter ?? {})) {
		if (value === null || value === undefined) continue;
		const f = filters.get(key);
		if (!f) {
			// `q`, the one filter that is not a field
			query[snake(key)] = value;
			continue;
		}
		query[f.rest] = Array.isArray(value)
			? value.map((v) => queryValue(f.field, v)).join(",")
			: queryValue(f.field, value);
	}
	if (args.sort?.length) {
		query.sort = args.sort
			.map((s) => `${s.field.toLowerCase()}:${(s.direction ?? "ASC").toLowerCase()}`)
			.join(",");
	}

	return { ...query, ...(args.pagination ? paginationQuery(args.pagination) : {}) };
}

/** A REST page (with each row's cursor) as a Relay connection. */
export function toConnection(model: GraphqlModel, page: Page): Connection {
	const nodes = page.data.map((row) => toGraphql(model, row));
	const cursors = page.cursors ?? [];
	const { pagination } = page;

	return {
		edges: nodes.map((node, i) => ({ node, cursor: cursors[i] ?? null })),
		nodes,
		pageInfo: {
			hasNextPage: pagination.has_next,
			hasPreviousPage: pagination.has_prev,
			startCursor: cursors[0] ?? null,
			endCursor: cursors[cursors.length - 1] ?? null,
		},
		totalCount: pagination.total,
	};
}
