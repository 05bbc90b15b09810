/**
 * The analytics service's GraphQL face: the Customer's computed figures (`totalOrders`,
 * `totalSpent`, `averageOrderValue`, `lastOrderDate`) read from the customer rollups in one
 * batch per figure and request, `customerAnalytics`, `salesAnalytics`, and the
 * `salesMetricsUpdated` subscription fed by `analytics.sales_updated` (sales-metrics.ts).
 */
import type { Context, ServiceSchema } from "moleculer";
import { toGraphqlDeep } from "../../mixins/graphql/convert";
import { camel } from "../../mixins/graphql/model";
import { BATCH_MAX } from "../../mixins/graphql/relations";
import type { Rollup } from "../../models/analytics";
import type { Meta } from "../../models/context";
import { customerAnalyticsIn } from "./customer-range";
import { SALES_METRICS_EVENT, type SalesMetricsEvent } from "./sales-metrics";

const FIGURES = ["total_orders", "total_spent", "average_order_value", "last_order_date"];

const TYPES = `
extend type Customer {
	"Counted orders (confirmed up to delivered), in the customer's currency"
	totalOrders: Int!
	totalSpent: Float!
	averageOrderValue: Float!
	lastOrderDate: Date
}

"A customer's figures in one currency, money in major units"
type CustomerFigures {
	currency: String!
	totalOrders: Int!
	totalSpent: Float!
	averageOrderValue: Float!
	lastOrderDate: Date
}

type CustomerAnalytics {
	customerId: ID!
	currency: String!
	totalOrders: Int!
	totalSpent: Float!
	averageOrderValue: Float!
	lastOrderDate: Date
	byCurrency: [CustomerFigures!]!
}

enum AnalyticsGroupBy { DAY WEEK MONTH CUSTOMER PRODUCT }

input SalesAnalyticsFilter { currency: String }

"One group of a sales report: a period, a customer or a product (with its name)"
type SalesGroup {
	key: String!
	name: String
	currency: String!
	orders: Int!
	total: Float!
	averageOrderValue: Float!
	quantity: Int
}

type SalesTotal {
	currency: String!
	orders: Int!
	total: Float!
	averageOrderValue: Float!
}

type SalesAnalytics {
	groupBy: AnalyticsGroupBy!
	from: Date
	to: Date
	groups: [SalesGroup!]!
	totals: [SalesTotal!]!
}

"The day and month of an order that entered or left the sales record, after the change"
type SalesMetrics {
	orderId: ID
	currency: String!
	day: Date!
	dayOrders: Int!
	dayTotal: Float!
	month: String!
	monthOrders: Int!
	monthTotal: Float!
	monthAverageOrderValue: Float!
}`;

type Row = Record<string, unknown>;
type CustomerKey = { id: string; currency: string };
type FigureContext = Context<{ keys: CustomerKey[]; figure: string }, Meta>;
type SalesArgs = {
	groupBy: string;
	dateRange?: { from?: Date | null; to?: Date | null } | null;
	filter?: { currency?: string | null } | null;
};

function day(value: Date | null | undefined): string | undefined {
	return value ? value.toISOString().slice(0, 10) : undefined;
}

function figureResolver(figure: string) {
	return {
		action: "analytics.graphqlCustomerFigure",
		rootParams: { id: "id", currency: "currency" },
		params: { figure },
		dataLoader: true,
	};
}

interface AnalyticsThis {
	orgOf(ctx: Context<unknown, Meta>): string;
	storeFind(query: object, options?: object): Promise<Rollup[]>;
	customerFigures(bucket: Rollup | undefined, currency: string): Row;
}

export function analyticsGraphql(): Partial<ServiceSchema> {
	return {
		settings: {
			graphql: {
				type: [TYPES],
				query: [
					"customerAnalytics(customerId: ID!, dateRange: DateRangeInput): " +
						"CustomerAnalytics!",
					"salesAnalytics(groupBy: AnalyticsGroupBy!, dateRange: DateRangeInput, " +
						"filter: SalesAnalyticsFilter): SalesAnalytics!",
				],
				resolvers: {
					Customer: Object.fromEntries(FIGURES.map((f) => [camel(f), figureResolver(f)])),
					Query: {
						customerAnalytics: { action: "analytics.graphqlCustomerAnalytics" },
						salesAnalytics: { action: "analytics.graphqlSalesAnalytics" },
					},
				},
			},
		},
		actions: {
			/** One figure of each customer (key: id and currency), from one read of the buckets. */
			graphqlCustomerFigure: {
				scope: "customers:read",
				visibility: "public",
				params: {
					keys: { type: "array", max: BATCH_MAX, items: "object" },
					figure: { type: "enum", values: FIGURES },
				},
				graphql: {
					dataLoaderBatchParam: "keys",
					dataLoaderOptions: { maxBatchSize: BATCH_MAX },
				},
				async handler(this: AnalyticsThis, ctx: FigureContext): Promise<unknown[]> {
					const { keys, figure } = ctx.params;
					const buckets = await this.storeFind({
						organization_id: this.orgOf(ctx),
						kind: "customer",
						key: { $in: [...new Set(keys.map((k) => k.id))] },
						orders: { $gt: 0 },
					});

					return keys.map((k) => {
						const own = buckets.filter((b) => b.key === k.id);
						const bucket = own.find((b) => b.currency === k.currency) ?? own[0];

						return this.customerFigures(bucket, k.currency)[figure];
					});
				},
			},

			graphqlCustomerAnalytics: {
				scope: "customers:read",
				visibility: "public",
				async handler(this: AnalyticsThis, ctx: Context<Row, Meta>): Promise<Row> {
					const id = String(ctx.params.customerId);
					const range = ctx.params.dateRange as SalesArgs["dateRange"];
					const out: Row =
						range?.from || range?.to
							? await customerAnalyticsIn(
									this,
									ctx,
									id,
									day(range.from),
									day(range.to),
								)
							: await ctx.call("analytics.customer", { params: { customer_id: id } });

					return toGraphqlDeep(out);
				},
			},

			graphqlSalesAnalytics: {
				scope: "analytics:read",
				visibility: "public",
				async handler(ctx: Context<SalesArgs, Meta>): Promise<Row> {
					const { groupBy, dateRange, filter } = ctx.params;
					const query: Record<string, string> = { group_by: groupBy.toLowerCase() };
					const [from, to] = [day(dateRange?.from), day(dateRange?.to)];
					if (from) query.from = from;
					if (to) query.to = to;
					const report: Row = await ctx.call("analytics.sales", { query });
					const currency = filter?.currency;
					const only = (rows: unknown) =>
						(rows as Row[]).filter((r) => !currency || r.currency === currency);

					return toGraphqlDeep({
						...report,
						group_by: groupBy,
						groups: only(report.groups),
						totals: only(report.totals),
					});
				},
			},

			graphqlOnSalesMetricsUpdated: {
				scope: "analytics:read",
				visibility: "public",
				graphql: {
					subscription:
						"salesMetricsUpdated(organizationId: ID, currency: String): SalesMetrics!",
					tags: [SALES_METRICS_EVENT],
					filter: "analytics.graphqlFilterSalesMetricsUpdated",
				},
				handler(ctx: Context<{ payload: SalesMetricsEvent }, Meta>): Row {
					return toGraphqlDeep(ctx.params.payload.data.object);
				},
			},

			/**
			 * The subscriber's organization only; `organizationId` naming another matches nothing.
			 */
			graphqlFilterSalesMetricsUpdated: {
				scope: "analytics:read",
				visibility: "public",
				handler(this: AnalyticsThis, ctx: Context<Row, Meta>): boolean {
					const payload = ctx.params.payload as SalesMetricsEvent;
					const org = this.orgOf(ctx);
					if (payload?.organization_id !== org) return false;
					if (ctx.params.organizationId && ctx.params.organizationId !== org)
						return false;
					const currency = ctx.params.currency;

					return !currency || payload.data.object.currency === currency;
				},
			},
		},
	};
}
