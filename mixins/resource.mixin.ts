/**
 * The tenant-scoped resource: list/get/create/update/remove with the contract's query language,
 * versions and ETags, and a domain event for every write. Written once; every domain service
 * mixes it in with its entity description and adds only its own rules through the `before*`
 * hooks and its workflow actions.
 */
import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import type { Auth, Meta, RestContext, RestParams } from "../models/context";
import type { EntityDefinition, RefField } from "../models/entity";
import {
	ApiError,
	type ErrorDetail,
	notFound,
	preconditionFailed,
	validationError,
} from "../models/errors";
import { config } from "../models/config";
import { type IndexSpec, type StoredDoc, storeMixin } from "./db.mixin";
import { EventsMixin } from "./events.mixin";
import { type Body, bodyChecker } from "./resource/body";
import { readCache } from "./resource/cache";
import { KeyedLock } from "./resource/keyed-lock";
import {
	combineClauses,
	encodeCursor,
	keysetAfter,
	type ListQuery,
	parseListQuery,
	parseView,
	reverseSort,
	type StoreQuery,
	type ViewOptions,
} from "./resource/query";
import { etagOf, ifMatchHolds, type Output, toOutput } from "./resource/view";

export interface ResourceOptions {
	entity: EntityDefinition;
	/** Resource part of the scopes guarding the actions (default: the entity's plural). */
	scope?: string;
	/** Extra store indexes beyond `organization_id`, filterable refs and unique fields. */
	indexes?: IndexSpec[];
	/** See `StoreOptions.scopeIndex`. */
	scopeIndex?: boolean;
	/** The event a create records, when the catalogue names it otherwise (`document.uploaded`). */
	createdEvent?: string;
}

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

export interface Deleted {
	id: string;
	deleted: true;
}

export interface Page<T = Output> {
	data: T[];
	pagination: Pagination;
	/** Each row's cursor, when the caller set `row_cursors` (GraphQL edges; never REST). */
	cursors?: string[];
}

/** Most rows `findMany` returns for one call (the `include` of one page, a DataLoader batch). */
const FIND_MANY_MAX = 1000;

export function resourceMixin(options: ResourceOptions): Partial<ServiceSchema> {
	const { entity } = options;
	const scope = options.scope ?? entity.plural;
	const checker = bodyChecker(entity);
	const uniqueFields = Object.entries(entity.fields)
		.filter(([, f]) => f.unique)
		.map(([n]) => n);
	// Filterable refs and enums are indexed too: they are what lists are filtered by.
	const indexes = Object.entries(entity.fields)
		.filter(
			([, f]) => f.index || f.unique || ((f.type === "ref" || f.type === "enum") && f.filter),
		)
		.map(([n]) => n);
	const locks = new KeyedLock();

	return {
		mixins: [
			storeMixin({
				collection: entity.plural,
				indexes: [...indexes, ...(options.indexes ?? [])],
				scopeIndex: options.scopeIndex,
				unique: uniqueFields,
			}),
			EventsMixin,
		],
		settings: { entity, scope },

		actions: {
			list: {
				scope: `${scope}:read`,
				handler(ctx: RestContext): Promise<Page> {
					return this.cachedRead(ctx, "list", () => this.listResources(ctx));
				},
			},

			get: {
				scope: `${scope}:read`,
				handler(ctx: RestContext): Promise<Output> {
					return this.cachedRead(ctx, "get", () => this.getResource(ctx));
				},
			},

			create: {
				scope: `${scope}:write`,
				handler(ctx: RestContext): Promise<Output> {
					return this.createOne(ctx, ctx.params.body);
				},
			},

			update: {
				scope: `${scope}:write`,
				handler(ctx: RestContext): Promise<Output> {
					return this.updateOne(ctx, ctx.params.params?.id, ctx.params.body);
				},
			},

			remove: {
				scope: `${scope}:write`,
				handler(ctx: RestContext): Promise<Deleted> {
					return this.removeOne(ctx, ctx.params.params?.id);
				},
			},

			/** Rows of the caller's organization whose `field` is one of `values` (batch loading). */
			findMany: {
				visibility: "public",
				params: {
					field: "string",
					values: { type: "array", items: "string", max: FIND_MANY_MAX },
				},
				handler(
					ctx: Context<{ field: string; values: string[] }, Meta>,
				): Promise<Output[]> {
					const { field, values } = ctx.params;
					if (field !== "id" && !(field in entity.fields))
						throw validationError([{ field: "field", message: "unknown" }]);

					return this.cachedRead(ctx, "findMany", async () => {
						const org = this.orgOf(ctx);
						// The organization is checked on the rows found, not in the query: given an
						// equality on `organization_id`, NeDB would scan every row of the organization
						// instead of using the index of `field`. The values are ids of the caller's own
						// rows, so few are dropped.
						const query = { [field === "id" ? "_id" : field]: { $in: values } };
						const docs: StoredDoc[] = await this.storeFind(query, {
							limit: FIND_MANY_MAX,
							sort: [["_id", 1]],
						});

						return docs
							.filter((d) => d.organization_id === org)
							.map((d) => this.toOutput(d));
					});
				},
			},
		},

		methods: {
			/** Hooks a domain overrides to add its rules; each returns the (possibly changed) body. */
			async beforeCreate(_ctx: RestContext, doc: Body): Promise<Body> {
				return doc;
			},
			async beforeUpdate(
				_ctx: RestContext,
				changes: Body,
				_current: StoredDoc,
			): Promise<Body> {
				return changes;
			},
			async beforeRemove(_ctx: RestContext, _current: StoredDoc): Promise<void> {
				// nothing to check by default
			},
			/** Runs after an update is stored and its events recorded (workflow events, rollups). */
			async afterUpdate(
				_ctx: RestContext,
				_previous: StoredDoc,
				_out: Output,
			): Promise<void> {
				// nothing to follow up by default
			},

			/** One create: validate, check references, domain rules, insert, event. */
			async createOne(ctx: RestContext, body: unknown, now?: string): Promise<Output> {
				const doc = checker.create(this.withParent(ctx, body));
				await this.checkRefs(ctx, doc);
				const prepared: Body = await this.beforeCreate(ctx, doc);
				const stored = await this.insertUnique(ctx, prepared, now);
				const out = this.toOutput(stored);
				await this.publishEvent(ctx, options.createdEvent ?? `${entity.name}.created`, out);

				return out;
			},

			async updateOne(ctx: RestContext, id: unknown, body: unknown): Promise<Output> {
				const current = await this.loadScoped(ctx, id);
				this.checkIfMatch(ctx, current);
				const currency = entity.currencyField
					? (current[entity.currencyField] as string)
					: undefined;
				const changes = checker.update(body, currency);
				await this.checkRefs(ctx, changes);
				const prepared: Body = await this.beforeUpdate(ctx, changes, current);

				return this.applyChanges(ctx, current, prepared);
			},

			async removeOne(ctx: RestContext, id: unknown): Promise<Deleted> {
				const current = await this.loadScoped(ctx, id);
				this.checkIfMatch(ctx, current);
				await this.beforeRemove(ctx, current);
				await this.storeRemove({
					_id: current._id,
					organization_id: current.organization_id,
				});
				await this.publishEvent(ctx, `${entity.name}.deleted`, this.toOutput(current));

				return { id: current._id, deleted: true };
			},

			async getResource(ctx: RestContext): Promise<Output> {
				const details: ErrorDetail[] = [];
				const view = parseView(entity, ctx.params.query ?? {}, details);
				const unknown = Object.keys(ctx.params.query ?? {}).filter(
					(k) => k !== "fields" && k !== "include",
				);
				unknown.forEach((k) =>
					details.push({ field: k, message: "is not a parameter of this resource" }),
				);
				if (details.length) throw validationError(details);
				const doc = await this.loadScoped(ctx, ctx.params.params?.id);
				const [out] = await this.present(ctx, [doc], view);

				return out;
			},

			/**
			 * A read through the cache (mixins/resource/cache.ts): keyed by the organization, the
			 * generations of this collection and of those it embeds, the caller's scopes and
			 * everything asked (ids, filters, `fields`, `include`), so no caller sees what
			 * another could not.
			 */
			cachedRead<T>(
				ctx: Context<RestParams | Record<string, unknown>, Meta>,
				action: string,
				load: () => Promise<T>,
			): Promise<T> {
				const include = (ctx.params as RestParams).query?.include;
				const embeds =
					typeof include === "string"
						? include
								.split(",")
								.map((name) => entity.relations?.[name.trim()]?.service)
								.filter((service): service is string => Boolean(service))
						: [];
				const read = {
					org: this.orgOf(ctx),
					collection: this.name as string,
					embeds,
					// The caller's scopes too: a hook may show more to some callers than to others.
					what: `${action}:${ctx.meta.auth?.scopes.join(",")}:${JSON.stringify(ctx.params)}`,
					fresh: ctx.meta.$cache === false,
				};

				return readCache(this.broker, config().cacheTtlSeconds).read(read, load);
			},

			orgOf(ctx: Context<unknown, Meta>): string {
				const auth = ctx.meta.auth as Auth | undefined;
				// Every entry point sets auth; a call without it is a programming error, not a client one.
				if (!auth?.organization_id)
					throw new ApiError("UNAUTHORIZED", "No organization in the call context");

				return auth.organization_id;
			},

			/** The clauses no client can widen: the organization and, for child resources, the parent. */
			scopeQuery(ctx: RestContext): StoreQuery {
				const query: StoreQuery = { organization_id: this.orgOf(ctx) };
				const parent = entity.parentField;
				const parentId = parent ? ctx.params.params?.[parent] : undefined;
				if (parent && parentId) query[parent] = parentId;

				return query;
			},

			/** The caller's row `id`, or 404 when it does not exist in the caller's organization. */
			async loadScoped(ctx: RestContext, id: unknown): Promise<StoredDoc> {
				if (typeof id !== "string" || id.length > 100) throw notFound(entity.name);
				const doc = await this.storeFindOne({ ...this.scopeQuery(ctx), _id: id });
				if (!doc) throw notFound(entity.name);

				return doc;
			},

			toOutput(doc: StoredDoc, fields?: string[]): Output {
				return toOutput(entity, doc, fields);
			},

			checkIfMatch(ctx: RestContext, current: StoredDoc): void {
				const header = ctx.params.if_match;
				const resource = { id: current._id, version: current.version as number };
				if (header && !ifMatchHolds(header, resource))
					throw preconditionFailed(etagOf(resource));
			},

			/** Child resources take their parent from the path (existence is checked with the other refs). */
			withParent(ctx: RestContext, body: unknown): unknown {
				const parent = entity.parentField;
				const fromPath = parent ? ctx.params.params?.[parent] : undefined;
				if (
					!parent ||
					!fromPath ||
					body === null ||
					typeof body !== "object" ||
					Array.isArray(body)
				)
					return body;
				const given = (body as Body)[parent];
				if (given !== undefined && given !== fromPath) {
					throw validationError([
						{ field: parent, message: "differs from the id in the path", value: given },
					]);
				}

				return { ...body, [parent]: fromPath };
			},

			/** Every `ref` field must name a row of the caller's organization (404 would leak nothing more). */
			async checkRefs(ctx: RestContext, doc: Body): Promise<void> {
				const details: ErrorDetail[] = [];
				for (const [name, field] of Object.entries(entity.fields)) {
					const value = doc[name];
					if (field.type !== "ref" || typeof value !== "string") continue;
					const service = (field as RefField).service;
					const found: Output[] = await ctx.call(`${service}.findMany`, {
						field: "id",
						values: [value],
					});
					if (found.length === 0)
						details.push({
							field: name,
							message: `no such ${service.replace(/s$/, "")}`,
							value,
						});
				}
				if (details.length)
					throw notFound(
						details.map((d) => d.message.replace(/^no such /, "")).join(", "),
					);
			},

			/** Inserts under the organization's unique-field locks, so two creates cannot both win. */
			async insertUnique(ctx: RestContext, body: Body, at?: string): Promise<StoredDoc> {
				const org = this.orgOf(ctx);
				const keys = uniqueFields
					.filter((f) => body[f] != null)
					.map((f) => `${org}:${f}:${body[f]}`);

				return locks.run(keys, async () => {
					await this.assertUnique(org, body);
					const now = at ?? new Date().toISOString();
					const doc = {
						...body,
						_id: crypto.randomUUID(),
						organization_id: org,
						version: 1,
						created_at: now,
						updated_at: now,
					};

					return this.storeInsert(doc);
				});
			},

			async assertUnique(org: string, body: Body, exceptId?: string): Promise<void> {
				for (const field of uniqueFields) {
					if (body[field] == null) continue;
					const query: StoreQuery = { organization_id: org, [field]: body[field] };
					if (exceptId) query._id = { $ne: exceptId };
					if (await this.storeFindOne(query)) {
						throw new ApiError("CONFLICT", `Another ${entity.name} has this ${field}`, {
							details: [{ field, message: "is already taken", value: body[field] }],
						});
					}
				}
			},

			/**
			 * Stores an update as a compare-and-set on the version, so two writers cannot silently
			 * overwrite each other, then records `<entity>.updated` with the old values of the changed
			 * fields (and `<entity>.status_changed` when the status moved).
			 */
			async applyChanges(
				ctx: RestContext,
				current: StoredDoc,
				changes: Body,
			): Promise<Output> {
				const changed = Object.keys(changes).filter(
					(k) => JSON.stringify(changes[k]) !== JSON.stringify(current[k] ?? null),
				);
				if (changed.length === 0) return this.toOutput(current);
				const org = current.organization_id as string;
				const keys = uniqueFields
					.filter((f) => changed.includes(f) && changes[f] != null)
					.map((f) => `${org}:${f}:${changes[f]}`);
				const updated = await locks.run(keys, async () => {
					await this.assertUnique(org, changes, current._id);
					const set = {
						...Object.fromEntries(changed.map((k) => [k, changes[k]])),
						version: (current.version as number) + 1,
						updated_at: new Date().toISOString(),
					};
					const count = await this.storeUpdate(
						{ _id: current._id, organization_id: org, version: current.version },
						set,
					);
					if (count === 0)
						throw new ApiError(
							"CONFLICT",
							`The ${entity.name} was changed by another request; fetch it and retry`,
						);

					return { ...current, ...set } as StoredDoc;
				});
				const out = this.toOutput(updated);
				const previous = this.toOutput(current);
				const previousAttributes = Object.fromEntries(
					changed.map((k) => [k, previous[k] ?? null]),
				);
				await this.publishEvent(ctx, `${entity.name}.updated`, out, previousAttributes);
				if (changed.includes("status")) {
					await this.publishEvent(ctx, `${entity.name}.status_changed`, out, {
						status: previous.status,
					});
				}
				await this.afterUpdate(ctx, current, out);

				return out;
			},

			async listResources(ctx: RestContext): Promise<Page> {
				const query: ListQuery = parseListQuery(
					entity,
					ctx.params.query ?? {},
					this.scopeQuery(ctx),
				);
				const [docs, total, hasMore] = await this.findPage(query);
				const data = await this.present(ctx, docs, query);
				const first = docs[0];
				const last = docs[docs.length - 1];
				const forward = query.cursor?.direction !== "prev";
				const page = query.cursor ? null : (query.page ?? 1);
				const hasNext = query.cursor
					? forward
						? hasMore
						: true
					: (page as number) * query.limit < total;
				const hasPrev = query.cursor ? (forward ? true : hasMore) : (page as number) > 1;
				const cursors = ctx.params.row_cursors
					? { cursors: docs.map((d: StoredDoc) => encodeCursor(query.sort, d, "next")) }
					: {};

				return {
					...cursors,
					data,
					pagination: {
						page,
						limit: query.limit,
						total,
						pages: Math.ceil(total / query.limit),
						has_next: hasNext,
						has_prev: hasPrev && total > 0,
						next_cursor:
							hasNext && last ? encodeCursor(query.sort, last, "next") : null,
						prev_cursor:
							hasPrev && first ? encodeCursor(query.sort, first, "prev") : null,
					},
				};
			},

			/** One page of stored rows, the total, and whether more rows lie in the page's direction. */
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
				const forward = query.cursor.direction === "next";
				const sort = forward ? query.sort : reverseSort(query.sort);
				const filter = combineClauses([
					query.filter,
					keysetAfter(sort, query.cursor.values),
				]);
				const docs: StoredDoc[] = await this.storeFind(filter, {
					sort,
					limit: query.limit + 1,
				});
				const hasMore = docs.length > query.limit;
				const page = docs.slice(0, query.limit);

				return [forward ? page : page.reverse(), total, hasMore];
			},

			/** Outputs with `fields` applied and `include`d relations embedded, one batch per relation. */
			async present(
				ctx: RestContext,
				docs: StoredDoc[],
				view: ViewOptions,
			): Promise<Output[]> {
				const rows = docs.map((d) => this.toOutput(d, view.fields));
				for (const name of view.include) {
					const relation = entity.relations?.[name];
					if (!relation) continue;
					const key = relation.kind === "many" ? "_id" : (relation.localKey as string);
					const ids = [
						...new Set(
							docs
								.map((d) => d[key])
								.filter((v): v is string => typeof v === "string"),
						),
					];
					const field = relation.kind === "many" ? (relation.foreignKey as string) : "id";
					const related: Output[] = ids.length
						? await ctx.call(`${relation.service}.findMany`, { field, values: ids })
						: [];
					rows.forEach((row, i) => {
						const own = docs[i][key];
						row[name] =
							relation.kind === "many"
								? related.filter((r) => r[field] === own)
								: (related.find((r) => r.id === own) ?? null);
					});
				}

				return rows;
			},
		},
	};
}
