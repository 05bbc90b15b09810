/**
 * The parts of the GraphQL schema that belong to no domain: scalars, paging and sorting inputs,
 * bulk item errors, and `search`, whose result types are made from the searchable services
 * present when the schema is built (each marks itself with `settings.graphqlSearch`).
 */
import { DateResolver, DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { SearchSettings } from "../../mixins/graphql.mixin";

export const SHARED_TYPE_DEFS = `
"RFC 3339 date-time in UTC, e.g. 2026-01-31T09:30:00.000Z"
scalar DateTime
"Calendar date, YYYY-MM-DD"
scalar Date
"Any JSON value"
scalar JSON

enum SortDirection {
	ASC
	DESC
}

"Relay paging (first/after forward, last/before backward) or page numbers; at most 100 per page"
input PaginationInput {
	first: Int
	after: String
	last: Int
	before: String
	page: Int
}

"A period of calendar dates, both ends included"
input DateRangeInput {
	from: Date
	to: Date
}

type PageInfo {
	hasNextPage: Boolean!
	hasPreviousPage: Boolean!
	startCursor: String
	endCursor: String
}

"A priced line of an order, quote or invoice (models/line-items.ts), money in major units"
type LineItem {
	productId: ID
	sku: String
	name: String
	quantity: Int!
	unitPrice: Float!
	discount: Float
	total: Float!
}

"A line as sent: the unit price defaults to the product's, the discount is a fraction (0.15)"
input LineItemInput {
	productId: ID
	description: String
	quantity: Int!
	unitPrice: Float
	discount: Float
}

enum BulkItemStatus {
	CREATED
	UPDATED
	DELETED
	FAILED
}

type ErrorDetail {
	field: String!
	message: String!
	value: JSON
}

"Why one item of a bulk mutation failed; code is from the error catalogue"
type ItemError {
	code: String!
	message: String!
	details: [ErrorDetail!]!
}
`;

const SEARCH = "search(query: String!, types: [SearchType!], limit: Int = 10): [SearchResult!]!";

export const SCALAR_RESOLVERS = {
	DateTime: DateTimeResolver,
	Date: DateResolver,
	JSON: JSONResolver,
};

/** A service in the registry, as moleculer-apollo-server reads it. */
export interface ServiceInfo {
	name: string;
	fullName?: string;
	settings?: { graphqlSearch?: SearchSettings; graphql?: unknown };
	actions?: Record<string, unknown>;
}

export interface Searchable extends SearchSettings {
	service: string;
}

export function searchablesOf(services: ServiceInfo[]): Searchable[] {
	const seen = new Map<string, Searchable>();
	for (const s of services) {
		const search = s.settings?.graphqlSearch;
		if (search && !seen.has(search.type)) seen.set(search.type, { ...search, service: s.name });
	}

	return [...seen.values()];
}

/**
 * `search` as a service-shaped entry for the schema build, or nothing while no searchable
 * service runs (an enum or union without members would fail the whole schema).
 */
export function searchSchemaPart(services: ServiceInfo[]): ServiceInfo | undefined {
	const searchables = searchablesOf(services);
	if (searchables.length === 0) return undefined;

	return {
		name: "$graphql-search",
		fullName: "$graphql-search",
		settings: {
			graphql: {
				type: [
					`enum SearchType {\n\t${searchables.map((s) => s.type).join("\n\t")}\n}`,
					`union SearchResult = ${searchables.map((s) => s.typeName).join(" | ")}`,
				],
				query: [`"Text search across types; results alternate between types" ${SEARCH}`],
				resolvers: { Query: { search: { action: "api.graphqlSearch" } } },
			},
		},
		actions: {},
	};
}

/** Up to `limit` results taken in turn from each type's list, so no type crowds out the rest. */
export function interleave<T>(lists: T[][], limit: number): T[] {
	const out: T[] = [];
	for (let i = 0; out.length < limit && lists.some((l) => i < l.length); i++) {
		for (const list of lists) if (i < list.length && out.length < limit) out.push(list[i]);
	}

	return out;
}
