/**
 * Stored documents to what clients see: `_id` becomes `id`, money becomes major units of the
 * record's currency, secret fields disappear, and `fields=` projects.
 */
import type { EntityDefinition } from "../../models/entity";
import { toMajor } from "../../models/money";
import type { StoredDoc } from "../db.mixin";

export type Output = Record<string, unknown> & { id: string; version: number };

export function toOutput(entity: EntityDefinition, doc: StoredDoc, fields?: string[]): Output {
	const currency = entity.currencyField
		? ((doc[entity.currencyField] as string) ?? "USD")
		: "USD";
	const out: Record<string, unknown> = { id: doc._id };
	for (const [key, value] of Object.entries(doc)) {
		if (key === "_id") continue;
		const field = entity.fields[key];
		if (field?.secret) continue;
		out[key] =
			field?.type === "money" && typeof value === "number" ? toMajor(value, currency) : value;
	}
	return project(out as Output, fields);
}

/** `fields=` applied to an output (`id` is always among the fields asked for). */
export function project(out: Output, fields?: string[]): Output {
	if (!fields) return out;

	return Object.fromEntries(fields.filter((f) => f in out).map((f) => [f, out[f]])) as Output;
}

/** The strong ETag of one version of one resource. */
export function etagOf(resource: { id: string; version: number }): string {
	return `"${resource.id}.${resource.version}"`;
}

/** True when an `If-Match` header value names the current version (or is `*`). */
export function ifMatchHolds(header: string, resource: { id: string; version: number }): boolean {
	const current = etagOf(resource);

	return header
		.split(",")
		.map((tag) => tag.trim().replace(/^W\//, ""))
		.some((tag) => tag === "*" || tag === current);
}
