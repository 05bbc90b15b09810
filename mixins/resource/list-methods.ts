/**
 * The read side of the resource mixin: one page of a list (offset or keyset), its pagination
 * block, and the presentation of rows (`fields`, batch-loaded `include`).
 */
import type { ServiceMethods } from "moleculer";
import type { RestContext } from "../../models/context";
import type { EntityDefinition } from "../../models/entity";
import type { StoredDoc } from "../db.mixin";
import { encodeCursor, keysetAfter, reverseSort } from "./cursor";
import { combineClauses, type ListQuery, parseListQuery, type ViewOptions } from "./query";
import type { Output } from "./view";

export interface Pagination {
	page: number | null;
	limit: number;
	total: number;
	pages: number;
	has_next: boolean;
	has_prev: boolean;
	next_cursor: string | null;
	prev_cursor: string | null;
}

export interface Page<T = Output> {
	data: T[];
	pagination: Pagination;
	/** Each row's cursor, when the caller set `row_cursors` (GraphQL edges; never REST). */
	cursors?: string[];
}

/**
 * The pagination block of one page. A cursor page knows only whether more rows lie in its own
 * direction (`hasMore`); the other direction holds at least the row the cursor came from.
 */
export function paginationOf(
	query: ListQuery,
	docs: StoredDoc[],
	total: number,
	hasMore: boolean,
): Pagination {
	const forward = query.cursor?.direction !== "prev";
	const page = query.cursor ? null : (query.page ?? 1);
	const hasNext = query.cursor ? !forward || hasMore : (page as number) * query.limit < total;
	const hasPrev = query.cursor ? forward || hasMore : (page as number) > 1;
	const first = docs[0];
	const last = docs[docs.length - 1];

	return {
		page,
		limit: query.limit,
		total,
		pages: Math.ceil(total / query.limit),
		has_next: hasNext,
		has_prev: hasPrev && total > 0,
		next_cursor: hasNext && last ? encodeCursor(query.sort, last, "next") : null,
		prev_cursor: hasPrev && first ? encodeCursor(query.sort, first, "prev") : null,
	};
}

export function listMethods(entity: EntityDefinition): ServiceMethods {
	return {
		async listResources(ctx: RestContext): Promise<Page> {
			const query: ListQuery = parseListQuery(
				entity,
				ctx.params.query ?? {},
				this.scopeQuery(ctx),
			);
			const [docs, total, hasMore] = await this.findPage(query);
			const data = await this.present(ctx, docs, query);
			const cursors = ctx.params.row_cursors
				? { cursors: docs.map((d: StoredDoc) => encodeCursor(query.sort, d, "next")) }
				: {};

			return { ...cursors, data, pagination: paginationOf(query, docs, total, hasMore) };
		},

		/**
		 * One page of stored rows, the total, and whether more rows lie in the page's direction.
		 */
		async findPage(query: ListQuery): Promise<[StoredDoc[], number, boolean]> {
			const total: number = await this.storeCount(query.filter);
			if (!query.cursor) {
				const skip = ((query.page ?? 1) - 1) * query.limit;
				const docs: StoredDoc[] = await this.storeFind(query.filter, {
					sort: query.sort,
					skip,
					limit: query.limit,
				});

				return [docs, total, skip + docs.length < total];
			}

			// Keyset: one row more than the page tells whether another page follows.
			const forward = query.cursor.direction === "next";
			const sort = forward ? query.sort : reverseSort(query.sort);
			const filter = combineClauses([query.filter, keysetAfter(sort, query.cursor.values)]);
			const docs: StoredDoc[] = await this.storeFind(filter, {
				sort,
				limit: query.limit + 1,
			});
			const page = docs.slice(0, query.limit);

			return [forward ? page : page.reverse(), total, docs.length > query.limit];
		},

		/**
		 * Outputs with `fields` applied and `include`d relations embedded, one batch per relation.
		 */
		async present(ctx: RestContext, docs: StoredDoc[], view: ViewOptions): Promise<Output[]> {
			const rows: Output[] = docs.map((d) => this.toOutput(d, view.fields));
			for (const name of view.include) {
				const relation = entity.relations?.[name];
				if (!relation) continue;
				const many = relation.kind === "many";
				const key = many ? "_id" : (relation.localKey as string);
				const field = many ? (relation.foreignKey as string) : "id";
				const ids = [
					...new Set(
						docs.map((d) => d[key]).filter((v): v is string => typeof v === "string"),
					),
				];
				// `embed` checks the caller's read scope of the related resource (403 without it),
				// also for an empty page, so the answer does not depend on the data.
				const related: Output[] = await ctx.call(`${relation.service}.embed`, {
					field,
					values: ids,
				});
				rows.forEach((row, i) => {
					const own = docs[i][key];
					row[name] = many
						? related.filter((r) => r[field] === own)
						: (related.find((r) => r.id === own) ?? null);
				});
			}

			return rows;
		},
	};
}
