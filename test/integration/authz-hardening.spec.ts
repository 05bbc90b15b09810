/**
 * What a tenant must not be able to do to get more than it is given (the hostile-input report):
 * raise its own plan, read a resource through another one's `include`, smuggle store operators
 * in a cursor, or exceed its plan with a key. Each case goes through the real clients. What a
 * tenant must not be able to store or reach otherwise: data-integrity.spec.ts.
 */
import { client, type OrganizationGateway } from "../helpers/gateway";
import { graphqlClient } from "../helpers/graphql";
import { customerWithOrder, freePlanGateway } from "../helpers/hardening";

let gw: OrganizationGateway;

beforeAll(async () => {
	gw = await freePlanGateway();
});

afterAll(async () => {
	await gw?.node.stop();
});

describe("the plan of an organization", () => {
	test("a tenant cannot change its own plan over REST: 400 read-only, plan and quota unchanged", async () => {
		const patched = await gw.api.patch(gw.base, { plan: "enterprise" });
		const put = await gw.api.put(gw.base, { name: "Still free", plan: "pro" });
		const after = await gw.api.get(gw.base);

		expect(patched.status).toBe(400);
		expect(patched.body.error).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "plan", message: "is read-only", value: "enterprise" }],
		});
		expect(put.status).toBe(400);
		expect(after.body.data).toMatchObject({ plan: "free", name: "Hardening Org" });
		const plain = await client(gw.node.url, await keyWith("organizations:read")).get(gw.base);
		expect(plain.headers.get("x-ratelimit-limit")).toBe("1000");
	});

	test("a tenant cannot change its plan over GraphQL: the update input has no plan", async () => {
		const gql = graphqlClient(gw.node.url, gw.owner.api_key);
		const res = await gql(
			"mutation { updateOrganization(input: { plan: ENTERPRISE }) { plan } }",
		);
		const after = await gw.api.get(gw.base);

		expect(res.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(res.body.errors[0].message).toMatch(/plan/);
		expect(after.body.data.plan).toBe("free");
	});

	test("the OpenAPI update body of an organization offers no plan", async () => {
		const doc = (await client(gw.node.url).get("/openapi.json")).body;

		expect(doc.components.schemas.Organization.properties.plan).toBeDefined();
		expect(Object.keys(doc.components.schemas.OrganizationUpdate.properties)).not.toContain(
			"plan",
		);
	});
});

/** A key of the owner's organization with only `scopes`. */
async function keyWith(...scopes: string[]): Promise<string> {
	const res = await gw.api.post("/v1/auth/api-keys", { name: scopes.join(" "), scopes });
	expect(res.status).toBe(201);

	return res.body.data.key;
}

describe("embedding a relation needs the related resource's read scope", () => {
	test("include=customer with only orders:read is 403 naming customers:read; nothing of the customer leaks", async () => {
		const { orderId } = await customerWithOrder(gw);
		const orders = client(gw.node.url, await keyWith("orders:read"));
		const both = client(gw.node.url, await keyWith("orders:read", "customers:read"));

		const listed = await orders.get(`${gw.base}/orders?include=customer&limit=5`);
		const one = await orders.get(`${gw.base}/orders/${orderId}?include=customer`);
		const plain = await orders.get(`${gw.base}/orders/${orderId}`);
		const allowed = await both.get(`${gw.base}/orders/${orderId}?include=customer`);

		for (const refused of [listed, one]) {
			expect(refused.status).toBe(403);
			expect(refused.body.error.code).toBe("FORBIDDEN");
			expect(refused.body.error.message).toMatch(/customers:read/);
			expect(JSON.stringify(refused.body)).not.toMatch(/Secret Buyer|secret\.buyer/);
		}
		expect(plain.status).toBe(200);
		expect(allowed.status).toBe(200);
		expect(allowed.body.data.customer.name).toBe("Secret Buyer");
	});

	test("include=orders on a customer with only customers:read is 403 naming orders:read; its own contacts embed", async () => {
		const { customerId } = await customerWithOrder(gw);
		const customers = client(gw.node.url, await keyWith("customers:read"));

		const orders = await customers.get(`${gw.base}/customers/${customerId}?include=orders`);
		const contacts = await customers.get(`${gw.base}/customers/${customerId}?include=contacts`);

		expect(orders.status).toBe(403);
		expect(orders.body.error).toMatchObject({ code: "FORBIDDEN" });
		expect(orders.body.error.message).toMatch(/orders:read/);
		expect(contacts.status).toBe(200);
		expect(contacts.body.data.contacts).toEqual([]);
	});

	test("GraphQL relation fields follow the same rule: FORBIDDEN naming the scope, no related data", async () => {
		const { customerId, orderId } = await customerWithOrder(gw);
		const orders = graphqlClient(gw.node.url, await keyWith("orders:read"));
		const customers = graphqlClient(gw.node.url, await keyWith("customers:read"));

		const order = await orders("query($id: ID!) { order(id: $id) { id customer { name } } }", {
			id: orderId,
		});
		const customer = await customers(
			"query($id: ID!) { customer(id: $id) { name orders { id totalAmount } } }",
			{ id: customerId },
		);

		expect(order.body.errors[0].extensions.code).toBe("FORBIDDEN");
		expect(order.body.errors[0].message).toMatch(/customers:read/);
		expect(JSON.stringify(order.body)).not.toContain("Secret Buyer");
		expect(customer.body.errors[0].extensions.code).toBe("FORBIDDEN");
		expect(customer.body.errors[0].message).toMatch(/orders:read/);
		expect(JSON.stringify(customer.body)).not.toContain(orderId);
	});
});

/** A cursor as a client could forge one: the list's own, with its values replaced. */
function forged(real: string, values: unknown[]): string {
	const parsed = JSON.parse(Buffer.from(real, "base64url").toString("utf8"));

	return Buffer.from(JSON.stringify({ ...parsed, v: values })).toString("base64url");
}

describe("keyset cursors", () => {
	test("a cursor whose values are store operators is 400 on REST, and its own cursor still pages", async () => {
		for (const name of ["Cursor A", "Cursor B", "Cursor C"])
			await gw.api.post(`${gw.base}/customers`, { name, segment: "smb" });
		const list = `${gw.base}/customers?limit=2&sort=name:asc`;
		const first = await gw.api.get(list);
		const real = first.body.pagination.next_cursor as string;

		const attempts = [
			[{ $regex: ".*" }, "x"],
			[{ $ne: null }, "x"],
			["A", { $where: "1" }],
			[["A"], "x"],
			[1, "x"],
		];
		for (const values of attempts) {
			const res = await gw.api.get(`${list}&cursor=${forged(real, values)}`);

			expect(res.status).toBe(400);
			expect(res.body.error.code).toBe("VALIDATION_ERROR");
			expect(res.body.error.details[0]).toMatchObject({
				field: "cursor",
				message: "is not a cursor of this list with this sort",
			});
		}
		const next = await gw.api.get(`${list}&cursor=${real}`);
		expect(next.status).toBe(200);
		expect(next.body.data.length).toBeGreaterThan(0);
	});

	test("a forged cursor is a VALIDATION_ERROR over GraphQL too, not an internal error", async () => {
		const first = await gw.api.get(`${gw.base}/customers?limit=1&sort=name:asc`);
		const cursor = forged(first.body.pagination.next_cursor, [{ $regex: ".*" }, "x"]);
		const gql = graphqlClient(gw.node.url, gw.owner.api_key);

		const res = await gql(
			`query($after: String) { customers(sort: [{ field: NAME, direction: ASC }],
				pagination: { first: 1, after: $after }) { nodes { name } } }`,
			{ after: cursor },
		);

		expect(res.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(res.body.data?.customers ?? null).toBeNull();
	});
});

describe("a key's own hourly limit", () => {
	const keys = "/v1/auth/api-keys";

	test("a tenant cannot give a key more than its plan's quota: 400 naming the quota, no key stored", async () => {
		const created = await gw.api.post(keys, {
			name: "too big",
			rate_limit_per_hour: 10_000_000,
		});
		const listed = await gw.api.get(`${keys}?limit=100`);

		expect(created.status).toBe(400);
		expect(created.body.error).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [
				{
					field: "rate_limit_per_hour",
					message: "must not exceed the free plan's quota of 1000 per hour",
					value: 10_000_000,
				},
			],
		});
		expect(listed.body.data.map((k: { name: string }) => k.name)).not.toContain("too big");
	});

	test("a key's limit can be lowered below the plan but not raised above it", async () => {
		const key = (await gw.api.post(keys, { name: "tight", rate_limit_per_hour: 5 })).body.data;
		const raised = await gw.api.patch(`${keys}/${key.id}`, { rate_limit_per_hour: 1001 });
		const atQuota = await gw.api.patch(`${keys}/${key.id}`, { rate_limit_per_hour: 1000 });
		const used = await client(gw.node.url, key.key).get(gw.base);

		expect(raised.status).toBe(400);
		expect(raised.body.error.details[0].field).toBe("rate_limit_per_hour");
		expect(atQuota.status).toBe(200);
		expect(used.headers.get("x-ratelimit-limit")).toBe("1000");
	});

	test("an operator may give the owner key more at bootstrap (--key-rate-limit)", async () => {
		const res = await gw.api.get(gw.base);

		expect(res.status).toBe(200);
		expect(res.headers.get("x-ratelimit-limit")).toBe("50000");
	});
});
