/**
 * What the GraphQL mixin derives from an entity description, checked without a server: the SDL
 * a domain declares builds into a valid schema, its resolvers are plain data, and GraphQL
 * arguments become the REST params shape.
 */
import { buildSchema, type GraphQLObjectType } from "graphql";
import { graphqlMixin } from "../../mixins/graphql.mixin";
import { toGraphql, toRestBody, toRestQuery } from "../../mixins/graphql/convert";
import { graphqlModel } from "../../mixins/graphql/model";
import { Customer, CustomerContact } from "../../models/customer";
import { defineEntity } from "../../models/entity";
import { SHARED_TYPE_DEFS } from "../../services/api/graphql-schema";

/** An order as issue 4 describes it, trimmed to what the mixin reads. */
const Order = defineEntity({
	name: "order",
	plural: "orders",
	fields: {
		customer_id: { type: "ref", service: "customers", required: true, filter: true },
		status: {
			type: "enum",
			values: ["draft", "confirmed", "cancelled"] as const,
			readOnly: true,
			default: "draft",
			filter: true,
			sort: true,
		},
		items: { type: "list", items: { type: "object" }, required: true },
		total_amount: { type: "money", readOnly: true, default: 0, sort: true },
		order_date: { type: "date", filter: true },
	},
	relations: { customer: { service: "customers", kind: "one", localKey: "customer_id" } },
});
const CustomerWithOrders = {
	...Customer,
	relations: {
		...Customer.relations,
		orders: { service: "orders", kind: "many" as const, foreignKey: "customer_id" },
	},
};

const ORDER_OPTIONS = {
	typeName: "SalesOrder",
	bulk: true,
	search: true,
	fields: {
		items: { output: "[SalesOrderItem!]!", input: "[SalesOrderItemInput!]" },
		is_overdue: "Boolean",
	},
	types: `type SalesOrderItem { productId: ID! quantity: Float! unitPrice: Float }
		input SalesOrderItemInput { productId: ID! quantity: Float! unitPrice: Float }
		input OrderSubscriptionFilter { customerId: ID, status: [SalesOrderStatus!] }`,
	parents: { customer_id: { entity: CustomerWithOrders } },
	steps: {
		cancelOrder: { action: "cancel", args: "reason: String!" },
		convertQuoteToOrder: {
			action: "convert",
			idArg: "quoteId",
			returns: { typeName: "SalesOrder", service: "orders" },
		},
	},
	subscriptions: {
		orderStatusChanged: {
			events: ["order.status_changed"],
			match: { customerId: "customer_id" },
		},
		orderCreated: {
			events: ["order.created"],
			args: "filters: OrderSubscriptionFilter",
			match: { "filters.customerId": "customer_id", "filters.status": "status" },
		},
	},
};

interface GraphqlSettings {
	type?: string[];
	query?: string[];
	mutation?: string[];
	resolvers?: Record<string, Record<string, unknown>>;
}

/** The SDL the gateway assembles from services, as moleculer-apollo-server concatenates it. */
function assemble(services: Array<ReturnType<typeof graphqlMixin>>): string {
	const parts = services.map((s) => s.settings?.graphql as GraphqlSettings);
	const subscriptions = services.flatMap((s) =>
		Object.values(s.actions ?? {}).flatMap((a) => {
			const def = (a as { graphql?: { subscription?: string } }).graphql;

			return def?.subscription ? [def.subscription] : [];
		}),
	);
	const block = (name: string, lines: string[]) =>
		lines.length ? `type ${name} {\n${lines.join("\n")}\n}` : "";

	return [
		SHARED_TYPE_DEFS,
		block(
			"Query",
			parts.flatMap((p) => p.query ?? []),
		),
		block(
			"Mutation",
			parts.flatMap((p) => p.mutation ?? []),
		),
		block("Subscription", subscriptions),
		...parts.flatMap((p) => p.type ?? []),
	].join("\n");
}

describe("the GraphQL mixin", () => {
	test("a sales order declared like issue 4's builds a valid schema with lines, steps, relations and subscriptions", () => {
		const services = [
			graphqlMixin(Customer, { bulk: true, search: true }),
			graphqlMixin(CustomerContact, {
				scope: "customers",
				parents: { customer_id: { entity: Customer } },
			}),
			graphqlMixin(Order, ORDER_OPTIONS),
		];

		const schema = buildSchema(assemble(services));

		const order = schema.getType("SalesOrder") as GraphQLObjectType;
		const customer = schema.getType("Customer") as GraphQLObjectType;
		const mutations = schema.getMutationType()?.getFields() ?? {};
		expect(String(order.getFields().items.type)).toBe("[SalesOrderItem!]!");
		expect(String(order.getFields().customer.type)).toBe("Customer");
		expect(String(order.getFields().isOverdue.type)).toBe("Boolean");
		expect(String(customer.getFields().orders.type)).toBe("[SalesOrder!]!");
		expect(String(customer.getFields().contacts.type)).toBe("[CustomerContact!]!");
		expect(String(mutations.cancelOrder.args.map((a) => a.name))).toBe("id,reason");
		expect(String(mutations.convertQuoteToOrder.args[0].name)).toBe("quoteId");
		expect(String(mutations.bulkCreateOrders.type)).toBe("BulkOrderResult!");
		expect(Object.keys(schema.getSubscriptionType()?.getFields() ?? {})).toEqual([
			"orderStatusChanged",
			"orderCreated",
		]);
	});

	test("resolvers are plain data that survive JSON, as they must to cross the transporter", () => {
		const settings = graphqlMixin(Order, ORDER_OPTIONS).settings?.graphql as GraphqlSettings;

		expect(JSON.parse(JSON.stringify(settings.resolvers))).toEqual(settings.resolvers);
		expect(settings.resolvers?.Customer?.orders).toEqual({
			action: "graphqlByParent",
			rootParams: { id: "keys" },
			params: { field: "customer_id" },
			dataLoader: true,
		});
		expect(settings.resolvers?.SalesOrder?.customer).toEqual({
			action: "customers.graphqlByIds",
			rootParams: { customerId: "keys" },
			dataLoader: true,
		});
	});

	test("filters, sort and paging become the REST query language", () => {
		const model = graphqlModel(Order, ORDER_OPTIONS);

		const query = toRestQuery(model, {
			filter: {
				q: "acme",
				statusIn: ["DRAFT", "CONFIRMED"],
				totalAmountGte: 100,
				orderDate: new Date("2026-01-31T00:00:00Z"),
				createdAfter: new Date("2026-01-01T00:00:00Z"),
			},
			sort: [{ field: "TOTAL_AMOUNT", direction: "DESC" }, { field: "CREATED_AT" }],
			pagination: { first: 20, after: "abc" },
		});

		expect(query).toEqual({
			q: "acme",
			status_in: "draft,confirmed",
			total_amount_gte: "100",
			order_date: "2026-01-31",
			created_after: "2026-01-01T00:00:00.000Z",
			sort: "total_amount:desc,created_at:asc",
			limit: "20",
			cursor: "abc",
		});
	});

	test("inputs become REST bodies and rows come back camelCase with UPPER_CASE enums", () => {
		const model = graphqlModel(Order, ORDER_OPTIONS);

		const body = toRestBody(model, {
			customerId: "c1",
			items: [{ productId: "p1", quantity: 2, unitPrice: 9.5 }],
			orderDate: new Date("2026-02-01T00:00:00Z"),
		});
		const row = toGraphql(model, {
			id: "o1",
			status: "confirmed",
			total_amount: 19,
			items: [{ product_id: "p1", line_total: 19 }],
			is_overdue: false,
		});

		expect(body).toEqual({
			customer_id: "c1",
			items: [{ product_id: "p1", quantity: 2, unit_price: 9.5 }],
			order_date: "2026-02-01",
		});
		expect(row).toEqual({
			id: "o1",
			status: "CONFIRMED",
			totalAmount: 19,
			items: [{ productId: "p1", lineTotal: 19 }],
			isOverdue: false,
		});
	});
});
