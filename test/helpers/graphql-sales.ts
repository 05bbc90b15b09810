/** Small factories for the sales domains over GraphQL: a product, a customer, an order. */
import type { GraphqlRequest } from "./graphql";

function tag(): string {
	return Math.random().toString(36).slice(2, 8);
}

/** The data of a mutation or query that must succeed (its errors shown when it does not). */
export async function data<T = Record<string, unknown>>(
	gql: GraphqlRequest,
	query: string,
	variables?: Record<string, unknown>,
): Promise<T> {
	const res = await gql(query, variables);
	if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));

	return res.body.data as T;
}

export async function newProduct(gql: GraphqlRequest, price = 10): Promise<string> {
	const out = await data<{ createProduct: { id: string } }>(
		gql,
		"mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
		{ i: { sku: `SKU-${tag()}`, name: `Widget ${tag()}`, price, currency: "USD" } },
	);

	return out.createProduct.id;
}

export async function newCustomer(gql: GraphqlRequest, name = `Buyer ${tag()}`): Promise<string> {
	const out = await data<{ createCustomer: { id: string } }>(
		gql,
		"mutation($n: String!) { createCustomer(input: { name: $n, segment: SMB }) { id } }",
		{ n: name },
	);

	return out.createCustomer.id;
}

export async function newOrder(
	gql: GraphqlRequest,
	customerId: string,
	productId: string,
	quantity = 2,
): Promise<{ id: string; orderNumber: string }> {
	const out = await data<{ createOrder: { id: string; orderNumber: string } }>(
		gql,
		`mutation($c: ID!, $p: ID!, $q: Int!) { createOrder(input: { customerId: $c,
			items: [{ productId: $p, quantity: $q }] }) { id orderNumber } }`,
		{ c: customerId, p: productId, q: quantity },
	);

	return out.createOrder;
}

/** A new order confirmed at once, so it counts in the sales figures; its id. */
export async function confirmedOrder(
	gql: GraphqlRequest,
	customerId: string,
	productId: string,
	quantity = 2,
): Promise<string> {
	const { id } = await newOrder(gql, customerId, productId, quantity);
	await data(gql, "mutation($id: ID!) { confirmOrder(id: $id) { id } }", { id });

	return id;
}

/** A sent invoice with a payment that failed: `payment.failed` notifies the owners. */
export async function failedPayment(gql: GraphqlRequest, productId: string): Promise<string> {
	const customerId = await newCustomer(gql);
	const invoice = await data<{ createInvoice: { id: string } }>(
		gql,
		`mutation($c: ID!, $p: ID!) { createInvoice(input: { customerId: $c,
			items: [{ productId: $p, quantity: 1 }] }) { id } }`,
		{ c: customerId, p: productId },
	);
	const id = invoice.createInvoice.id;
	const paid = await data<{ b: { id: string } }>(
		gql,
		`mutation($id: ID!) { a: sendInvoice(id: $id) { id }
			b: createPayment(input: { invoiceId: $id, amount: 5 }) { id } }`,
		{ id },
	);
	await data(gql, 'mutation($p: ID!) { failPayment(id: $p, reason: "Declined") { id } }', {
		p: paid.b.id,
	});

	return paid.b.id;
}
