/**
 * Bulk writes over a resource (`POST|PUT|DELETE …/bulk`): up to 1,000 items, each committed or
 * refused on its own, answered item by item with its index. One bulk create stamps every row
 * with the same `created_at`, which the id tie-breaker keeps in a stable order.
 */
import type { ServiceSchema } from "moleculer";
import { config } from "../models/config";
import type { RestContext } from "../models/context";
import { type ErrorDetail, toApiError, validationError } from "../models/errors";

/** Most items one bulk request carries (BULK_MAX_ITEMS; the contract's default is 1,000). */
export const BULK_MAX_ITEMS = config().bulkMaxItems;

export interface BulkItemResult {
	index: number;
	status: "created" | "updated" | "deleted" | "failed";
	id?: string;
	data?: unknown;
	error?: { code: string; message: string; details: ErrorDetail[] };
}

export interface BulkResult {
	results: BulkItemResult[];
	succeeded: number;
	failed: number;
}

function listOf(body: unknown, key: "items" | "ids"): unknown[] {
	const list = (body as Record<string, unknown> | null)?.[key];
	if (!Array.isArray(list) || list.length === 0 || list.length > BULK_MAX_ITEMS) {
		throw validationError([
			{ field: key, message: `must be an array of 1 to ${BULK_MAX_ITEMS} entries` },
		]);
	}
	const extra = Object.keys(body as object).filter((k) => k !== key);
	if (extra.length)
		throw validationError(
			extra.map((field) => ({ field, message: "is not a field of a bulk request" })),
		);

	return list;
}

/** Runs `one` for every entry in order, turning each failure into that entry's error. */
async function eachItem(
	list: unknown[],
	status: BulkItemResult["status"],
	one: (item: unknown) => Promise<{ id: string } & Record<string, unknown>>,
): Promise<BulkResult> {
	const results: BulkItemResult[] = [];
	for (const [index, item] of list.entries()) {
		try {
			const data = await one(item);
			results.push({
				index,
				status,
				id: data.id,
				data: status === "deleted" ? undefined : data,
			});
		} catch (err) {
			const error = toApiError(err);
			if (error.type === "INTERNAL_ERROR" || error.type === "SERVICE_UNAVAILABLE") throw err;
			results.push({
				index,
				status: "failed",
				error: {
					code: error.type,
					message: error.message,
					details: error.data?.details ?? [],
				},
			});
		}
	}
	const failed = results.filter((r) => r.status === "failed").length;

	return { results, succeeded: results.length - failed, failed };
}

export function bulkMixin(scope: string): Partial<ServiceSchema> {
	return {
		actions: {
			bulkCreate: {
				scope: `${scope}:write`,
				handler(ctx: RestContext): Promise<BulkResult> {
					const now = new Date().toISOString();

					return eachItem(listOf(ctx.params.body, "items"), "created", (item) =>
						this.createOne(ctx, item, now),
					);
				},
			},

			bulkUpdate: {
				scope: `${scope}:write`,
				handler(ctx: RestContext): Promise<BulkResult> {
					return eachItem(listOf(ctx.params.body, "items"), "updated", (item) => {
						const { id, ...changes } = (item ?? {}) as Record<string, unknown>;
						if (typeof id !== "string")
							throw validationError([
								{ field: "id", message: "is required in each item" },
							]);

						return this.updateOne(ctx, id, changes);
					});
				},
			},

			bulkRemove: {
				scope: `${scope}:write`,
				handler(ctx: RestContext): Promise<BulkResult> {
					return eachItem(listOf(ctx.params.body, "ids"), "deleted", (id) =>
						this.removeOne(ctx, id),
					);
				},
			},
		},
	};
}
