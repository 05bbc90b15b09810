/**
 * The tenant-scoped resource: list/get/create/update/remove with the contract's query language,
 * versions and ETags, and a domain event for every write. Written once; every domain service
 * mixes it in with its entity description and adds only its own rules through the `before*`
 * hooks and its workflow actions.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { Auth, Meta, RestContext, RestParams } from "../models/context";
import type { EntityDefinition } from "../models/entity";
import { ApiError, type ErrorDetail, notFound, validationError } from "../models/errors";
import { config } from "../models/config";
import { type IndexSpec, type StoredDoc, storeMixin } from "./db.mixin";
import { EventsMixin } from "./events.mixin";
import type { Body } from "./resource/body";
import { readCache } from "./resource/cache";
import { listMethods, type Page } from "./resource/list-methods";
import { parseView, type StoreQuery } from "./resource/query";
import { type Output, toOutput } from "./resource/view";
import { type Deleted, writeMethods } from "./resource/write-methods";

export type { Page, Pagination } from "./resource/list-methods";
export type { Deleted } from "./resource/write-methods";

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

/** Most rows `findMany` returns for one call (the `include` of one page, a DataLoader batch). */
const FIND_MANY_MAX = 1000;
const FIND_MANY_PARAMS = {
	field: "string",
	values: { type: "array", items: "string", max: FIND_MANY_MAX },
} as const;
type FindManyContext = Context<{ field: string; values: string[] }, Meta>;

export function resourceMixin(options: ResourceOptions): Partial<ServiceSchema> {
	const { entity } = options;
	const scope = options.scope ?? entity.plural;
	const uniqueFields = Object.entries(entity.fields)
		.filter(([, f]) => f.unique)
		.map(([n]) => n);
	// Filterable refs and enums are indexed too: they are what lists are filtered by.
	const indexes = Object.entries(entity.fields)
		.filter(
			([, f]) => f.index || f.unique || ((f.type === "ref" || f.type === "enum") && f.filter),
		)
		.map(([n]) => n);

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

			/**
			 * Rows of the caller's organization whose `field` is one of `values` (batch loading):
			 * for the server's own checks (does this reference exist?), so it asks for no scope.
			 */
			findMany: {
				visibility: "public",
				params: FIND_MANY_PARAMS,
				handler(ctx: FindManyContext): Promise<Output[]> {
					return this.findRows(ctx);
				},
			},

			/**
			 * `findMany` on the caller's behalf, for `include=`: embedding a relation shows its
			 * rows, so it needs their read scope, as reading them directly (and GraphQL's
			 * relation fields, `graphqlByIds`) does.
			 */
			embed: {
				visibility: "public",
				scope: `${scope}:read`,
				params: FIND_MANY_PARAMS,
				handler(ctx: FindManyContext): Promise<Output[]> {
					return this.findRows(ctx);
				},
			},
		},

		methods: {
			...writeMethods(entity, { createdEvent: options.createdEvent }),
			...listMethods(entity),

			/**
			 * A workflow's rule for the state a record is created in (mixins/workflow.mixin.ts).
			 */
			checkNewState(_doc: Body): void {
				// no state to check by default
			},

			/**
			 * Hooks a domain overrides to add its rules; each returns the (possibly changed) body.
			 */
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
			/**
			 * Runs after an update is stored and its events recorded (workflow events, rollups).
			 */
			async afterUpdate(
				_ctx: RestContext,
				_previous: StoredDoc,
				_out: Output,
			): Promise<void> {
				// nothing to follow up by default
			},

			async findRows(ctx: FindManyContext): Promise<Output[]> {
				const { field, values } = ctx.params;
				if (field !== "id" && !Object.hasOwn(entity.fields, field))
					throw validationError([{ field: "field", message: "unknown" }]);

				return this.cachedRead(ctx, "findMany", async () => {
					const docs: StoredDoc[] = await this.storeFindIn(
						this.orgOf(ctx),
						field,
						values,
					);

					return docs.map((d) => this.toOutput(d));
				});
			},

			/** Rows of organization `org` whose `field` is one of `values` (batch loading). */
			async storeFindIn(org: string, field: string, values: string[]): Promise<StoredDoc[]> {
				// The organization is checked on the rows found, not in the query: given an
				// equality on `organization_id`, NeDB would scan every row of the organization
				// instead of using the index of `field`. The values are ids of the caller's own
				// rows, so few are dropped.
				const query = { [field === "id" ? "_id" : field]: { $in: values } };
				const docs: StoredDoc[] = await this.storeFind(query, {
					limit: FIND_MANY_MAX,
					sort: [["_id", 1]],
				});

				return docs.filter((d) => d.organization_id === org);
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
					// And the clauses `scopeQuery` adds: notifications are the caller's user's own.
					what: [
						action,
						ctx.meta.auth?.scopes.join(","),
						JSON.stringify(this.scopeQuery(ctx)),
						JSON.stringify(ctx.params),
					].join(":"),
					fresh: ctx.meta.$cache === false,
				};

				return readCache(this.broker, config().cacheTtlSeconds).read(read, load);
			},

			orgOf(ctx: Context<unknown, Meta>): string {
				const auth = ctx.meta.auth as Auth | undefined;
				// Every entry point sets auth; a call without
				// it is a programming error, not a client one.
				if (!auth?.organization_id)
					throw new ApiError("UNAUTHORIZED", "No organization in the call context");

				return auth.organization_id;
			},

			/**
			 * The clauses no client can widen: the organization
			 * and, for child resources, the parent.
			 */
			scopeQuery(ctx: RestContext): StoreQuery {
				const query: StoreQuery = { organization_id: this.orgOf(ctx) };
				const parent = entity.parentField;
				const parentId = parent ? ctx.params.params?.[parent] : undefined;
				if (parent && parentId) query[parent] = parentId;

				return query;
			},

			/**
			 * The caller's row `id`, or 404 when it does not exist in the caller's organization.
			 */
			async loadScoped(ctx: RestContext, id: unknown): Promise<StoredDoc> {
				if (typeof id !== "string" || id.length > 100) throw notFound(entity.name);
				const doc = await this.storeFindOne({ ...this.scopeQuery(ctx), _id: id });
				if (!doc) throw notFound(entity.name);

				return doc;
			},

			toOutput(doc: StoredDoc, fields?: string[]): Output {
				return toOutput(entity, doc, fields);
			},
		},
	};
}
