/**
 * Streamed import and export of a resource (`…/bulk-import`, `…/bulk-export`): the import reads
 * CSV, NDJSON or a JSON array row by row and upserts each row by the entity's natural key (a
 * unique field such as `sku`), through the same create/update path and events as single writes;
 * the export streams every row of the organization as CSV or NDJSON, batch by batch.
 */
import { Readable } from "node:stream";
import { stringify } from "csv-stringify";
import type { Context, ServiceSchema } from "moleculer";
import type { Meta, RestContext } from "../models/context";
import { type EntityDefinition, ownEntry, SYSTEM_FIELDS } from "../models/entity";
import { type ErrorDetail, toApiError, validationError } from "../models/errors";
import { checkJsonDepth } from "../models/json-depth";
import type { StoredDoc } from "./db.mixin";
import { formatOf, readRows } from "./bulk-io/rows";
import { actionBody } from "./resource/action-body";
import { takeStreamBody } from "./resource/stream-body";
import type { Body } from "./resource/body";
import type { Output } from "./resource/view";

export interface BulkIoOptions {
	entity: EntityDefinition;
	/** The unique field rows are matched by (`sku`). */
	key: string;
	scope: string;
}

export interface ImportError {
	row: number;
	line?: number;
	code: string;
	message: string;
	details: ErrorDetail[];
}

export interface ImportResult {
	rows: number;
	created: number;
	updated: number;
	unchanged: number;
	failed: number;
	errors: ImportError[];
	/** True when more rows failed than `errors` lists. */
	errors_truncated: boolean;
}

type Outcome = "created" | "updated" | "unchanged";

/** The answer lists this many row errors at most; the counts stay exact. */
const MAX_LISTED_ERRORS = 1000;
const EXPORT_BATCH = 500;
const exportQuery = actionBody<{ format?: "csv" | "ndjson" }>({
	format: { type: "enum", values: ["csv", "ndjson"], optional: true },
});

/** A CSV cell or JSON value turned into the type of its field; blanks and system fields drop. */
function typedRow(entity: EntityDefinition, raw: Record<string, unknown>, text: boolean): Body {
	const body: Body = {};
	for (const [name, value] of Object.entries(raw)) {
		const field = ownEntry(entity.fields, name);
		if (Object.hasOwn(SYSTEM_FIELDS, name) || field?.readOnly) continue;
		if (text && typeof value === "string" && value.trim() === "") continue;
		const typed = text && typeof value === "string" ? cellValue(field?.type, value) : value;
		// Defined, not assigned: a `__proto__` key stays a key (refused as unknown) instead of
		// replacing the row's prototype.
		Object.defineProperty(body, name, {
			value: typed,
			enumerable: true,
			writable: true,
			configurable: true,
		});
	}

	return body;
}

function cellValue(type: string | undefined, value: string): unknown {
	switch (type) {
		case "integer":
		case "number":
		case "money":
			return Number.isFinite(Number(value)) ? Number(value) : value;
		case "boolean":
			return value === "true" || value === "1"
				? true
				: value === "false" || value === "0"
					? false
					: value;
		case "object":
		case "list":
			try {
				return JSON.parse(value);
			} catch {
				return value;
			}
		default:
			return unguarded(value);
	}
}

/** The columns of an export: id, the entity's visible fields, then the system fields. */
function exportColumns(entity: EntityDefinition): string[] {
	const own = Object.entries(entity.fields)
		.filter(([, f]) => !f.secret)
		.map(([n]) => n);

	return ["id", ...own, "version", "created_at", "updated_at"];
}

/**
 * Text a spreadsheet would run as a formula starts with `=`, `+`, `-`, `@`, a tab or a CR; the
 * export writes it behind a `'` (OWASP: CSV injection). Text already starting with `'`s before
 * such a character gets one more, so the import, which takes one off, returns exactly it.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

function csvCell(value: unknown): unknown {
	if (typeof value === "string") return FORMULA_START.test(value) ? `'${value}` : value;

	return value !== null && typeof value === "object" ? JSON.stringify(value) : value;
}

/** A text cell as exported: one guarding `'` off (see FORMULA_START). */
function unguarded(value: string): string {
	return value.startsWith("'") && FORMULA_START.test(value) ? value.slice(1) : value;
}

export function bulkIoMixin(options: BulkIoOptions): Partial<ServiceSchema> {
	const { entity, key, scope } = options;

	return {
		actions: {
			bulkImport: {
				scope: `${scope}:write`,
				async handler(ctx: Context<Readable, Meta>): Promise<ImportResult> {
					const upload = ctx.meta.upload;
					if (!upload) throw validationError([{ field: "body", message: "is required" }]);
					const format = formatOf(upload.content_type);
					const body = takeStreamBody(ctx);
					const result: ImportResult = {
						rows: 0,
						created: 0,
						updated: 0,
						unchanged: 0,
						failed: 0,
						errors: [],
						errors_truncated: false,
					};
					for await (const row of readRows(body, format, upload.limit)) {
						result.rows++;
						try {
							if (row.error)
								throw validationError([{ field: "row", message: row.error }]);
							const typed = typedRow(entity, row.value ?? {}, format === "csv");
							// After typing: a CSV cell of an object field is JSON too.
							checkJsonDepth(typed, "row");
							const outcome: Outcome = await this.upsertRow(ctx, typed);
							result[outcome]++;
						} catch (err) {
							this.recordRowError(result, row, err);
						}
					}

					return result;
				},
			},

			bulkExport: {
				scope: `${scope}:read`,
				handler(ctx: RestContext): Readable {
					const format = exportQuery(ctx.params.query ?? {}).format ?? "csv";
					const rows = Readable.from(this.exportRows(this.orgOf(ctx)));
					ctx.meta.$responseType =
						format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
					ctx.meta.$responseHeaders = {
						"Content-Disposition": `attachment; filename="${entity.plural}.${format}"`,
					};
					if (format === "ndjson")
						return rows.map((out: Output) => `${JSON.stringify(out)}\n`);
					const columns = exportColumns(entity);

					return rows
						.map((out: Output) => columns.map((c) => csvCell(out[c])))
						.pipe(
							stringify({
								header: true,
								columns,
								cast: { boolean: (v: boolean) => String(v) },
							}),
						);
				},
			},
		},

		methods: {
			/** Creates the row, or updates the one with the same key; says which happened. */
			async upsertRow(ctx: RestContext, body: Body): Promise<Outcome> {
				const value = body[key];
				if (typeof value !== "string" || value === "")
					throw validationError([{ field: key, message: "is required to match rows" }]);
				const existing: StoredDoc | undefined = await this.storeFindOne({
					organization_id: this.orgOf(ctx),
					[key]: value,
				});
				if (!existing) {
					await this.createOne(ctx, body);

					return "created";
				}
				const out: Output = await this.updateOne(ctx, existing._id, body);

				return out.version === existing.version ? "unchanged" : "updated";
			},

			recordRowError(
				result: ImportResult,
				row: { row: number; line?: number },
				err: unknown,
			): void {
				const error = toApiError(err);
				if (error.type === "INTERNAL_ERROR" || error.type === "SERVICE_UNAVAILABLE")
					throw err;
				result.failed++;
				if (result.errors.length >= MAX_LISTED_ERRORS) {
					result.errors_truncated = true;

					return;
				}
				result.errors.push({
					row: row.row,
					...(row.line === undefined ? {} : { line: row.line }),
					code: error.type,
					message: error.message,
					details: error.data?.details ?? [],
				});
			},

			/** Every row of the organization in id order, one store batch at a time. */
			async *exportRows(org: string): AsyncGenerator<Output> {
				let after: string | undefined;
				for (;;) {
					const query: Body = { organization_id: org };
					if (after) query._id = { $gt: after };
					const batch: StoredDoc[] = await this.storeFind(query, {
						sort: [["_id", 1]],
						limit: EXPORT_BATCH,
					});
					for (const doc of batch) yield this.toOutput(doc);
					if (batch.length < EXPORT_BATCH) return;
					after = batch[batch.length - 1]._id;
				}
			},
		},
	};
}
