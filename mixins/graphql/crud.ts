/**
 * Queries and mutations of one resource (get, list, create, update, delete, bulk, search):
 * their SDL fields, their declarative resolvers, and the `graphql*` actions those resolve to.
 * Each action calls the service's REST action with the REST params shape.
 */
import type { Context } from "moleculer";
import type { Meta } from "../../models/context";
import type { BulkResult } from "../bulk.mixin";
import type { Page } from "../resource.mixin";
import { etagOf, type Output } from "../resource/view";
import {
	type Connection,
	type ListArgs,
	toConnection,
	toGraphql,
	toRestBody,
	toRestQuery,
} from "./convert";
import { enumName, type GraphqlModel } from "./model";

export type Operation = "get" | "list" | "create" | "update" | "remove";

/** What the operations need to know of the mixin's options. */
export interface OperationOptions {
	singleton?: boolean;
	bulk?: boolean;
}

type GqlContext = Context<Record<string, unknown>, Meta>;
type Row = Record<string, unknown>;

export const ALL_OPERATIONS: Operation[] = ["get", "list", "create", "update", "remove"];

function listArgs(m: GraphqlModel): string {
	return `filter: ${m.typeName}Filter, sort: [${m.typeName}Sort!], pagination: PaginationInput`;
}

/** Query and Mutation fields with their resolvers, for the operations the service exposes. */
export function operationParts(m: GraphqlModel, ops: Operation[], options: OperationOptions) {
	const t = m.typeName;
	const n = m.noun;
	const own = options.singleton ? "" : "id: ID!, ";
	const query: string[] = [];
	const mutation: string[] = [];
	const Query: Record<string, { action: string }> = {};
	const Mutation: Record<string, { action: string }> = {};
	if (ops.includes("get")) {
		query.push(options.singleton ? `${m.single}: ${t}!` : `${m.single}(id: ID!): ${t}`);
		Query[m.single] = { action: "graphqlGet" };
	}
	if (ops.includes("list") && !options.singleton) {
		query.push(`${m.plural}(${listArgs(m)}): ${t}Connection!`);
		Query[m.plural] = { action: "graphqlList" };
	}
	if (ops.includes("create")) {
		mutation.push(`create${n}(input: Create${n}Input!): ${t}!`);
		Mutation[`create${n}`] = { action: "graphqlCreate" };
	}
	if (ops.includes("update")) {
		mutation.push(`update${n}(${own}input: Update${n}Input!, expectedVersion: Int): ${t}!`);
		Mutation[`update${n}`] = { action: "graphqlUpdate" };
	}
	if (ops.includes("remove")) {
		mutation.push(`delete${n}(id: ID!, expectedVersion: Int): Boolean!`);
		Mutation[`delete${n}`] = { action: "graphqlRemove" };
	}
	if (options.bulk) {
		const plural = m.plural.charAt(0).toUpperCase() + m.plural.slice(1);
		mutation.push(
			`bulkCreate${plural}(input: [Create${n}Input!]!): Bulk${n}Result!`,
			`bulkUpdate${plural}(input: [BulkUpdate${n}Input!]!): Bulk${n}Result!`,
			`bulkDelete${plural}(ids: [ID!]!): Bulk${n}Result!`,
		);
		Mutation[`bulkCreate${plural}`] = { action: "graphqlBulkCreate" };
		Mutation[`bulkUpdate${plural}`] = { action: "graphqlBulkUpdate" };
		Mutation[`bulkDelete${plural}`] = { action: "graphqlBulkRemove" };
	}

	return { query, mutation, resolvers: { Query, Mutation } };
}

/** `{ params, if_match }` for one record: `expectedVersion` becomes its ETag. */
function target(id: string, expectedVersion: unknown, singleton = false): Record<string, unknown> {
	const ifMatch =
		typeof expectedVersion === "number" ? etagOf({ id, version: expectedVersion }) : undefined;
	// The caller's organization is `/organizations/{org_id}` over REST: the same path params.
	const params = singleton ? { org_id: id } : { id };

	return { params, ...(ifMatch ? { if_match: ifMatch } : {}) };
}

function bulkOut(m: GraphqlModel, result: BulkResult): Row {
	return {
		...result,
		results: result.results.map((r) => ({
			...r,
			status: enumName(r.status),
			data: r.data ? toGraphql(m, r.data as Output) : null,
		})),
	};
}

/** What the actions use of the resource mixin's methods. */
export interface ResourceThis {
	orgOf(ctx: GqlContext): string;
}

/** The actions of the exposed operations (`graphqlGet`, `graphqlBulkCreate`, …). */
export function crudActions(
	m: GraphqlModel,
	ops: Operation[],
	options: OperationOptions,
	read: string,
	write: string,
): Record<string, object> {
	const wanted = new Set([
		...ops.map((op) => `graphql${op.charAt(0).toUpperCase()}${op.slice(1)}`),
		...(options.bulk ? ["graphqlBulkCreate", "graphqlBulkUpdate", "graphqlBulkRemove"] : []),
	]);
	const all = allActions(m, options, read, write);

	return Object.fromEntries(Object.entries(all).filter(([name]) => wanted.has(name)));
}

function allActions(m: GraphqlModel, options: OperationOptions, read: string, write: string) {
	const rest = (ctx: GqlContext, action: string, params: Record<string, unknown>) =>
		ctx.call<unknown, Record<string, unknown>>(`${m.entity.plural}.${action}`, params);
	const bulk = async (ctx: GqlContext, action: string, body: Row) =>
		bulkOut(m, (await rest(ctx, action, { body })) as BulkResult);
	const idOf = (ctx: GqlContext, self: ResourceThis) =>
		options.singleton ? self.orgOf(ctx) : String(ctx.params.id);

	return {
		graphqlGet: {
			scope: read,
			visibility: "public",
			async handler(this: ResourceThis, ctx: GqlContext): Promise<Row> {
				const params = target(idOf(ctx, this), null, options.singleton);

				return toGraphql(m, (await rest(ctx, "get", params)) as Output);
			},
		},
		graphqlList: {
			scope: read,
			visibility: "public",
			async handler(ctx: GqlContext): Promise<Connection> {
				const query = toRestQuery(m, ctx.params as ListArgs);
				const page = await rest(ctx, "list", { query, row_cursors: true });

				return toConnection(m, page as Page);
			},
		},
		graphqlCreate: {
			scope: write,
			visibility: "public",
			async handler(ctx: GqlContext): Promise<Row> {
				const body = toRestBody(m, ctx.params.input as Record<string, unknown>);

				return toGraphql(m, (await rest(ctx, "create", { body })) as Output);
			},
		},
		graphqlUpdate: {
			scope: write,
			visibility: "public",
			async handler(this: ResourceThis, ctx: GqlContext): Promise<Row> {
				const body = toRestBody(m, ctx.params.input as Record<string, unknown>);
				const version = ctx.params.expectedVersion;
				const params = { ...target(idOf(ctx, this), version, options.singleton), body };

				return toGraphql(m, (await rest(ctx, "update", params)) as Output);
			},
		},
		graphqlRemove: {
			scope: write,
			visibility: "public",
			async handler(ctx: GqlContext): Promise<boolean> {
				await rest(
					ctx,
					"remove",
					target(String(ctx.params.id), ctx.params.expectedVersion),
				);

				return true;
			},
		},
		graphqlBulkCreate: {
			scope: write,
			visibility: "public",
			handler(ctx: GqlContext): Promise<Row> {
				const inputs = ctx.params.input as Row[];

				return bulk(ctx, "bulkCreate", { items: inputs.map((i) => toRestBody(m, i)) });
			},
		},
		graphqlBulkUpdate: {
			scope: write,
			visibility: "public",
			handler(ctx: GqlContext): Promise<Row> {
				const inputs = ctx.params.input as Array<{ id: string; input: Row }>;
				const items = inputs.map((i) => ({ ...toRestBody(m, i.input), id: i.id }));

				return bulk(ctx, "bulkUpdate", { items });
			},
		},
		graphqlBulkRemove: {
			scope: write,
			visibility: "public",
			handler(ctx: GqlContext): Promise<Row> {
				return bulk(ctx, "bulkRemove", { ids: ctx.params.ids });
			},
		},
	};
}

export function searchAction(m: GraphqlModel, read: string): Record<string, object> {
	return {
		graphqlSearch: {
			scope: read,
			visibility: "public",
			params: { query: "string", limit: { type: "number", integer: true, min: 1 } },
			async handler(ctx: Context<{ query: string; limit: number }, Meta>): Promise<Row[]> {
				const query = { q: ctx.params.query, limit: String(ctx.params.limit) };
				const page: Page = await ctx.call(`${m.entity.plural}.list`, { query });

				return page.data.map((row) => ({ ...toGraphql(m, row), __typename: m.typeName }));
			},
		},
	};
}
