/**
 * What the hardening suites (authz-hardening, data-integrity) share: their gateway, and fixtures
 * over real HTTP (a customer with one order, the number of orders an organization holds).
 */
import { type OrganizationGateway, organizationGateway } from "./gateway";

/**
 * A gateway whose organization is on the free plan (1,000 requests per hour), the one a tenant
 * would most like to leave, beside a neighbour organization; the owner key gets more from the
 * operator at bootstrap, which no tenant can give a key.
 */
export function freePlanGateway(): Promise<OrganizationGateway> {
	return organizationGateway(
		"Hardening Org",
		{},
		{ plan: "free", keyRateLimit: 50_000, others: ["Neighbour Org"] },
	);
}

/** A customer with one order of one product, created by the owner. */
export async function customerWithOrder(
	gw: OrganizationGateway,
): Promise<{ customerId: string; orderId: string }> {
	const sku = `SKU-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
	const product = await gw.api.post(`${gw.base}/products`, { sku, name: "Tea", price: 4 });
	const customer = await gw.api.post(`${gw.base}/customers`, {
		name: "Secret Buyer",
		email: "secret.buyer@example.test",
		segment: "smb",
	});
	const order = await gw.api.post(`${gw.base}/orders`, {
		customer_id: customer.body.data.id,
		items: [{ product_id: product.body.data.id, quantity: 1 }],
	});
	expect(order.status).toBe(201);

	return { customerId: customer.body.data.id, orderId: order.body.data.id };
}

/** How many orders the gateway's organization holds. */
export async function orderCount(gw: OrganizationGateway): Promise<number> {
	return (await gw.api.get(`${gw.base}/orders?limit=1`)).body.pagination.total;
}
