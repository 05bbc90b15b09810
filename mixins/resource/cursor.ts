/**
 * Opaque keyset cursors: the sort values of the row a page starts after (or ends before), bound
 * to the sort they were made under, and the store condition that resumes from them.
 */
import crypto from "node:crypto";
import { allFields, type EntityDefinition, type Field } from "../../models/entity";
import type { ErrorDetail } from "../../models/errors";
import type { SortSpec, StoreQuery } from "./query";

export interface Cursor {
	/** Stored values of the sort fields of the row the page starts after (or ends before). */
	values: unknown[];
	direction: "next" | "prev";
}

/** Fingerprint of a sort, so a cursor is refused under a different sort than it was made for. */
function sortKey(sort: SortSpec): string {
	return crypto.createHash("sha256").update(JSON.stringify(sort)).digest("base64url").slice(0, 8);
}

export function encodeCursor(
	sort: SortSpec,
	row: Record<string, unknown>,
	direction: Cursor["direction"],
): string {
	const values = sort.map(([f]) => row[f] ?? null);

	return Buffer.from(JSON.stringify({ s: sortKey(sort), v: values, d: direction })).toString(
		"base64url",
	);
}

/** The cursor of the same row, read the other way (GraphQL `before` takes an edge's cursor). */
export function cursorTowards(raw: string, direction: Cursor["direction"]): string {
	try {
		const parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));

		return Buffer.from(JSON.stringify({ ...parsed, d: direction })).toString("base64url");
	} catch {
		// Not a cursor at all: the list refuses it like any other bad cursor.
		return raw;
	}
}

/** The JSON type a stored value of `field` has; only fields of these types can be sorted on. */
function scalarType(field: Field | undefined): "string" | "number" | "boolean" | undefined {
	switch (field?.type) {
		case "string":
		case "enum":
		case "date":
		case "datetime":
		case "ref":
			return "string";
		case "integer":
		case "number":
		case "money":
			return "number";
		case "boolean":
			return "boolean";
		default:
			return undefined;
	}
}

/**
 * Whether every decoded value is a plain value of its sort field's type (or null, except for
 * the id). The values go into the store query as they are: an object there would be read as
 * an operator (`{"$regex": …}`, `{"$where": …}`), so anything but a scalar is refused.
 */
function valuesFit(entity: EntityDefinition, sort: SortSpec, values: unknown[]): boolean {
	const fields = allFields(entity);

	return sort.every(([stored], i) => {
		const name = stored === "_id" ? "id" : stored;
		const value = values[i];
		if (value === null) return name !== "id";
		const type = scalarType(Object.hasOwn(fields, name) ? fields[name] : undefined);

		return typeof value === type && (type !== "number" || Number.isFinite(value));
	});
}

export function decodeCursor(
	raw: string,
	entity: EntityDefinition,
	sort: SortSpec,
	details: ErrorDetail[],
): Cursor | undefined {
	try {
		const parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
		const valid =
			parsed !== null &&
			parsed.s === sortKey(sort) &&
			Array.isArray(parsed.v) &&
			parsed.v.length === sort.length &&
			valuesFit(entity, sort, parsed.v) &&
			(parsed.d === "next" || parsed.d === "prev");
		if (valid) return { values: parsed.v, direction: parsed.d };
	} catch {
		// falls through to the validation error below
	}
	details.push({
		field: "cursor",
		message: "is not a cursor of this list with this sort",
		value: raw,
	});

	return undefined;
}

/**
 * The keyset condition "rows strictly after `values` in `sort` order". Nulls sort first in
 * both stores, so "after null" ascending is "not null" and nothing comes after null descending.
 */
export function keysetAfter(sort: SortSpec, values: unknown[]): StoreQuery {
	const branches: StoreQuery[] = [];
	for (let i = 0; i < sort.length; i++) {
		const [field, dir] = sort[i];
		const value = values[i];
		let beyond: StoreQuery | undefined;
		if (dir === 1)
			beyond = value === null ? { [field]: { $ne: null } } : { [field]: { $gt: value } };
		else if (value !== null) beyond = { $or: [{ [field]: { $lt: value } }, { [field]: null }] };
		if (beyond) {
			const equal = sort.slice(0, i).map(([f], j) => ({ [f]: values[j] }));
			branches.push({ $and: [...equal, beyond] });
		}
	}

	return branches.length ? { $or: branches } : { _id: { $in: [] } };
}

export function reverseSort(sort: SortSpec): SortSpec {
	return sort.map(([f, d]) => [f, d === 1 ? -1 : 1]);
}
