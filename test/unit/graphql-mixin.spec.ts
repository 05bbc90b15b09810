/**
 * What the GraphQL mixin derives from an entity description, checked without a server: the SDL
 * a domain declares builds into a valid schema, its resolvers are plain data, and GraphQL
 * arguments become the REST params shape.
 */
import { buildSchema, type GraphQLEnumType, type GraphQLObjectType } from "graphql";
import { graphqlMixin, type SearchSettings } from "../../mixins/graphql.mixin";
import { toGraphql, toRestBody, toRestQuery } from "../../mixins/graphql/convert";
import { graphqlModel } from "../../mixins/graphql/model";
import { Customer, CustomerContact } from "../../models/customer";
import { Invoice, Payment } from "../../models/finance";
import { Order } from "../../models/order";
import { Product } from "../../models/product";
import { Lead, Opportunity, Quote } from "../../models/sales";
import { Notification, Ticket } from "../../models/support";
import { searchSchemaPart, SHARED_TYPE_DEFS } from "../../services/api/graphql-schema";
import { analyticsGraphql } from "../../services/analytics/graphql";
import { INVOICE_GRAPHQL, PAYMENT_GRAPHQL } from "../../services/graphql/finance";
import {
	LEAD_GRAPHQL,
	OPPORTUNITY_GRAPHQL,
	ORDER_GRAPHQL,
	QUOTE_GRAPHQL,
} from "../../services/graphql/sales";
import {
	NOTIFICATION_GRAPHQL,
	PRODUCT_GRAPHQL,
	TICKET_GRAPHQL,
} from "../../services/graphql/support";

/* The domains' own declarations (services/graphql/), which must build into one schema. */
const ORDER_OPTIONS = ORDER_GRAPHQL;

function domains() {
	return [
		graphqlMixin(Customer, { bulk: true, search: true }),
		graphqlMixin(CustomerContact, {
			scope: "customers",
			parents: { customer_id: { entity: Customer } },
		}),
		graphqlMixin(Product, PRODUCT_GRAPHQL),
		graphqlMixin(Order, ORDER_GRAPHQL),
		graphqlMixin(Quote, QUOTE_GRAPHQL),
		graphqlMixin(Invoice, INVOICE_GRAPHQL),
		graphqlMixin(Payment, PAYMENT_GRAPHQL),
		graphqlMixin(Lead, LEAD_GRAPHQL),
		graphqlMixin(Opportunity, OPPORTUNITY_GRAPHQL),
		graphqlMixin(Ticket, TICKET_GRAPHQL),
		graphqlMixin(Notification, NOTIFICATION_GRAPHQL),
		analyticsGraphql(),
	];
}

interface GraphqlSettings {
	type?: string[];
	query?: string[];
	mutation?: string[];
	resolvers?: Record<string, Record<string, unknown>>;
}

/** The SDL the gateway assembles from services, as moleculer-apollo-server concatenates it. */
function assemble(services: Array<ReturnType<typeof graphqlMixin>>): string {
	const infos = services.map((s, i) => ({
		name: `s${i}`,
		settings: s.settings as { graphqlSearch?: SearchSettings },
	}));
	const search = searchSchemaPart(infos)?.settings?.graphql as GraphqlSettings;
	const parts = [...services.map((s) => s.settings?.graphql as GraphqlSettings), search];
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
	test("the domains, as their services declare them, build one schema with lines, steps, relations, computed fields and subscriptions", () => {
		const schema = buildSchema(assemble(domains()));

		const order = schema.getType("SalesOrder") as GraphQLObjectType;
		const customer = schema.getType("Customer") as GraphQLObjectType;
		const notification = schema.getType("NotificationType") as GraphQLEnumType;
		const mutations = schema.getMutationType()?.getFields() ?? {};
		expect(String(order.getFields().items.type)).toBe("[LineItem!]!");
		expect(String(order.getFields().customer.type)).toBe("Customer");
		expect(String(order.getFields().quote.type)).toBe("SalesQuote");
		expect(String(order.getFields().invoices.type)).toBe("[Invoice!]!");
		for (const list of ["orders", "quotes", "invoices", "tickets", "contacts", "totalSpent"])
			expect(customer.getFields()[list]).toBeDefined();
		const invoice = schema.getType("Invoice") as GraphQLObjectType;
		expect(String(invoice.getFields().isOverdue.type)).toBe("Boolean!");
		expect(String(invoice.getFields().payments.type)).toBe("[Payment!]!");
		expect(String(order.getFields().fulfillmentStatus.type)).toBe("String!");
		expect(notification.getValues().map((v) => v.name)).toContain("INVOICE_OVERDUE");
		expect(String(mutations.cancelOrder.args.map((a) => a.name))).toBe("id,reason");
		expect(String(mutations.convertQuoteToOrder.type)).toBe("SalesOrder!");
		expect(String(mutations.convertLeadToCustomer.args[0].name)).toBe("leadId");
		expect(String(mutations.convertLeadToCustomer.type)).toBe("ConvertLeadResult!");
		expect(String(mutations.bulkUpdateOrders.type)).toBe("BulkOrderResult!");
		expect(Object.keys(schema.getSubscriptionType()?.getFields() ?? {})).toEqual([
			"orderStatusChanged",
			"orderCreated",
			"notification",
			"salesMetricsUpdated",
		]);
		const searchable = schema.getType("SearchType") as GraphQLEnumType;
		expect(searchable.getValues().map((v) => v.name)).toEqual([
			"CUSTOMER",
			"PRODUCT",
			"ORDER",
			"LEAD",
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
			promised_delivery_date: "2030-03-01",
			items: [{ product_id: "p1", line_total: 19 }],
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
			promisedDeliveryDate: "2030-03-01",
			items: [{ productId: "p1", lineTotal: 19 }],
			fulfillmentStatus: "UNFULFILLED",
			estimatedDelivery: "2030-03-01",
			isOverdue: false,
		});
	});
});
