/**
 * The list query language of the contract, parsed once for every resource: filters with
 * operators, `q`, multi-field sort ending in `id`, page/limit or opaque keyset cursors, `fields`
 * and `include`. The output is a store query that NeDB and MongoDB both understand.
 */
import { isRealDate } from "../../models/dates";
import { allFields, type EntityDefinition, type Field, ownEntry } from "../../models/entity";
import { type ErrorDetail, validationError } from "../../models/errors";
import { minorDigits } from "../../models/money";
import { type Cursor, decodeCursor } from "./cursor";

export type StoreQuery = Record<string, unknown>;
export type SortSpec = Array<[field: string, direction: 1 | -1]>;
export type RawQuery = Record<string, unknown>;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

const OPERATORS = ["gte", "gt", "lte", "lt", "ne", "in"] as const;
type Operator = (typeof OPERATORS)[number] | "eq";
const RANGE_TYPES = new Set(["integer", "number", "money", "date", "datetime"]);
const DATE_BOUNDS = ["created_after", "created_before", "updated_after", "updated_before"];
const LIST_KEYS = new Set([
	"page",
	"limit",
	"cursor",
	"sort",
	"fields",
	"include",
	"q",
	...DATE_BOUNDS,
]);

export interface ListQuery {
	filter: StoreQuery;
	sort: SortSpec;
	limit: number;
	page?: number;
	cursor?: Cursor;
	fields?: string[];
	include: string[];
}

/** Projection and embedding options, shared by `list` and `get`. */
export interface ViewOptions {
	fields?: string[];
	include: string[];
}

/** The store name of a field: NeDB and MongoDB keep the id in `_id`. */
export function storeName(field: string): string {
	return field === "id" ? "_id" : field;
}

function single(key: string, value: unknown, details: ErrorDetail[]): string | undefined {
	if (typeof value === "string") return value;
	details.push({ field: key, message: "must be given once, as a string", value });

	return undefined;
}

/** Turns one query-string value into the stored representation of `field`. */
function storedValue(name: string, field: Field, raw: string, details: ErrorDetail[]): unknown {
	const bad = (message: string) => {
		details.push({ field: name, message, value: raw });

		return undefined;
	};
	switch (field.type) {
		case "integer":
		case "number": {
			const n = Number(raw);
			if (raw.trim() === "" || !Number.isFinite(n)) return bad("must be a number");

			return n;
		}
		case "money": {
			const n = Number(raw);
			if (raw.trim() === "" || !Number.isFinite(n)) return bad("must be an amount");

			// Amounts are filtered in the organization's usual minor unit (two digits).
			return Math.round(n * 10 ** minorDigits("USD"));
		}
		case "boolean":
			if (raw === "true") return true;
			if (raw === "false") return false;

			return bad("must be true or false");
		case "date":
			if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || !isRealDate(raw))
				return bad("must be a date YYYY-MM-DD");

			return raw;
		case "datetime": {
			const time = Date.parse(raw);
			if (!isRealDate(raw)) return bad("must be a date or an RFC 3339 date-time");

			return new Date(time).toISOString();
		}
		case "enum":
			if (!field.values.includes(raw))
				return bad(`must be one of ${field.values.join(", ")}`);

			return raw;
		default:
			return raw;
	}
}

function parseFilter(
	key: string,
	fields: Record<string, Field>,
): { name: string; op: Operator } | undefined {
	if (ownEntry(fields, key)) return { name: key, op: "eq" };
	const op = OPERATORS.find(
		(o) => key.endsWith(`_${o}`) && ownEntry(fields, key.slice(0, -o.length - 1)),
	);

	return op ? { name: key.slice(0, -op.length - 1), op } : undefined;
}

function allowed(field: Field, op: Operator): boolean {
	if (op === "gte" || op === "gt" || op === "lte" || op === "lt")
		return RANGE_TYPES.has(field.type);

	return Boolean(field.filter) || RANGE_TYPES.has(field.type);
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The `q` text search: a case-insensitive substring of any searchable field. */
function searchQuery(entity: EntityDefinition, q: string): StoreQuery {
	const pattern = new RegExp(escapeRegExp(q), "i");
	const clauses = Object.entries(entity.fields)
		.filter(([, f]) => f.search)
		.map(([name]) => ({ [name]: { $regex: pattern } }));

	return { $or: clauses };
}

export function parseSort(
	entity: EntityDefinition,
	raw: string | undefined,
	details: ErrorDetail[],
): SortSpec {
	const fields = allFields(entity);
	const sort: SortSpec = [];
	const text = raw ?? entity.defaultSort ?? "created_at:desc";
	for (const part of text.split(",").filter(Boolean)) {
		const [name, dir = "asc", extra] = part.split(":");
		if (
			!ownEntry(fields, name)?.sort ||
			extra !== undefined ||
			(dir !== "asc" && dir !== "desc")
		) {
			details.push({ field: "sort", message: `cannot sort by "${part}"`, value: raw });
			continue;
		}
		// A field sorted twice (`name:asc,name:desc`) is a contradiction, not a preference.
		if (sort.some(([f]) => f === storeName(name))) {
			details.push({ field: "sort", message: `sorts by ${name} more than once`, value: raw });
			break;
		}
		sort.push([storeName(name), dir === "asc" ? 1 : -1]);
	}
	// The id tie-breaker makes the order total, so pages never overlap or skip (contract).
	if (!sort.some(([f]) => f === "_id")) sort.push(["_id", 1]);

	return sort;
}

export function parseView(
	entity: EntityDefinition,
	query: RawQuery,
	details: ErrorDetail[],
): ViewOptions {
	const view: ViewOptions = { include: [] };
	const fields = allFields(entity);
	if (query.fields !== undefined) {
		const text = single("fields", query.fields, details) ?? "";
		const names = text
			.split(",")
			.map((s) => s.trim())
			.filter(Boolean);
		const unknown = names.filter((n) => !ownEntry(fields, n) || fields[n].secret);
		if (unknown.length)
			details.push({
				field: "fields",
				message: `unknown fields: ${unknown.join(", ")}`,
				value: text,
			});
		view.fields = ["id", ...names.filter((n) => n !== "id")];
	}
	if (query.include !== undefined) {
		const text = single("include", query.include, details) ?? "";
		const names = text
			.split(",")
			.map((s) => s.trim())
			.filter(Boolean);
		const unknown = names.filter((n) => !ownEntry(entity.relations, n));
		if (unknown.length)
			details.push({
				field: "include",
				message: `cannot include: ${unknown.join(", ")}`,
				value: text,
			});
		view.include = [...new Set(names)];
	}

	return view;
}

function parseLimit(raw: unknown, details: ErrorDetail[]): number {
	if (raw === undefined) return DEFAULT_LIMIT;
	const text = single("limit", raw, details);
	const limit = Number(text);
	if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
		details.push({
			field: "limit",
			message: `must be a whole number from 1 to ${MAX_LIMIT}`,
			value: raw,
		});
	}

	return limit;
}

function parsePage(raw: unknown, details: ErrorDetail[]): number | undefined {
	if (raw === undefined) return undefined;
	const page = Number(single("page", raw, details));
	if (!Number.isInteger(page) || page < 1 || page > 1_000_000) {
		details.push({ field: "page", message: "must be a whole number from 1", value: raw });
	}

	return page;
}

/** Adds the filter clauses of every non-list query key; unknown keys are reported by name. */
function parseFilters(
	entity: EntityDefinition,
	query: RawQuery,
	details: ErrorDetail[],
): StoreQuery[] {
	const fields = allFields(entity);
	const clauses: StoreQuery[] = [];
	for (const [key, rawValue] of Object.entries(query)) {
		if (LIST_KEYS.has(key)) continue;
		const parsed = parseFilter(key, fields);
		if (!parsed || fields[parsed.name].secret || !allowed(fields[parsed.name], parsed.op)) {
			details.push({
				field: key,
				message: "is not a parameter of this list",
				value: rawValue,
			});
			continue;
		}
		const raw = single(key, rawValue, details);
		if (raw === undefined) continue;
		const field = fields[parsed.name];
		const target = storeName(parsed.name);
		if (parsed.op === "in") {
			const values = raw.split(",").map((v) => storedValue(key, field, v, details));
			clauses.push({ [target]: { $in: values } });
		} else {
			const value = storedValue(key, field, raw, details);
			clauses.push(
				parsed.op === "eq"
					? { [target]: value }
					: { [target]: { [`$${parsed.op}`]: value } },
			);
		}
	}
	for (const key of DATE_BOUNDS) {
		if (query[key] === undefined) continue;
		const raw = single(key, query[key], details);
		const value =
			raw === undefined ? undefined : storedValue(key, { type: "datetime" }, raw, details);
		const [prefix, side] = key.split("_");
		clauses.push({ [`${prefix}_at`]: { [side === "after" ? "$gt" : "$lt"]: value } });
	}

	return clauses;
}

/**
 * Parses a list request. `scope` holds the clauses the caller may not choose (organization,
 * parent id); they are always part of the filter.
 */
export function parseListQuery(
	entity: EntityDefinition,
	query: RawQuery,
	scope: StoreQuery,
): ListQuery {
	const details: ErrorDetail[] = [];
	const clauses: StoreQuery[] = [scope, ...parseFilters(entity, query, details)];

	if (query.q !== undefined) {
		const q = single("q", query.q, details);
		if (q !== undefined && (q.length < 1 || q.length > 200)) {
			details.push({ field: "q", message: "must be 1 to 200 characters", value: q });
		} else if (q !== undefined) clauses.push(searchQuery(entity, q));
	}

	const sortText = query.sort === undefined ? undefined : single("sort", query.sort, details);
	const sort = parseSort(entity, sortText, details);
	const limit = parseLimit(query.limit, details);
	const page = parsePage(query.page, details);
	const cursorText =
		query.cursor === undefined ? undefined : single("cursor", query.cursor, details);
	const cursor =
		cursorText === undefined ? undefined : decodeCursor(cursorText, entity, sort, details);
	if (page !== undefined && cursorText !== undefined) {
		details.push({
			field: "cursor",
			message: "cannot be combined with page",
			value: cursorText,
		});
	}
	const view = parseView(entity, query, details);
	if (details.length) throw validationError(details);

	return { filter: combineClauses(clauses), sort, limit, page, cursor, ...view };
}

/**
 * The clauses as one flat query when they name different fields (the same rows), since NeDB
 * picks an index only for top-level fields and scans the whole collection under `$and`.
 */
export function combineClauses(clauses: StoreQuery[]): StoreQuery {
	const merged: StoreQuery = {};
	for (const clause of clauses) {
		for (const [field, condition] of Object.entries(clause)) {
			if (Object.hasOwn(merged, field)) return { $and: clauses };
			merged[field] = condition;
		}
	}

	return merged;
}
