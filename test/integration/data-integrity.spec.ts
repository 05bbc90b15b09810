/**
 * What a tenant must not be able to store or reach (the hostile-input report): records created
 * past their workflow's first state, amounts exact money cannot hold, a slug another
 * organization holds, private webhook targets, impossible dates, assignees from outside, scopes
 * outside the catalogue, another organization's users, formula cells in exports, and malformed
 * sorts, contacts and external ids. Each case goes through the real clients.
 */
import { client, type OrganizationGateway } from "../helpers/gateway";
import { graphqlClient } from "../helpers/graphql";
import { customerWithOrder, freePlanGateway, orderCount } from "../helpers/hardening";

let gw: OrganizationGateway;

beforeAll(async () => {
	gw = await freePlanGateway();
});

afterAll(async () => {
	await gw?.node.stop();
});

describe("workflows start in their initial state", () => {
	test.each([
		["leads", { name: "Skipped lead", status: "converted" }, "new"],
		["leads", { name: "Skipped lead", status: "qualified" }, "new"],
		["tickets", { subject: "Skipped ticket", status: "closed" }, "open"],
		["tickets", { subject: "Skipped ticket", status: "resolved" }, "open"],
	])(
		"POST %s as %j is 400 naming the initial state; nothing is stored",
		async (plural, body, initial) => {
			const res = await gw.api.post(`${gw.base}/${plural}`, body);
			const stored = await gw.api.get(`${gw.base}/${plural}?q=Skipped`);

			expect(res.status).toBe(400);
			expect(res.body.error.code).toBe("VALIDATION_ERROR");
			expect(res.body.error.details[0]).toMatchObject({
				field: "status",
				value: body.status,
			});
			expect(res.body.error.details[0].message).toMatch(
				new RegExp(`^must be ${initial} when`),
			);
			expect(stored.body.data).toEqual([]);
		},
	);

	test("the initial state may be given; GraphQL refuses a later one too", async () => {
		const lead = await gw.api.post(`${gw.base}/leads`, { name: "Fresh lead", status: "new" });
		const ticket = await gw.api.post(`${gw.base}/tickets`, {
			subject: "Fresh",
			status: "open",
		});
		const gql = graphqlClient(gw.node.url, gw.owner.api_key);
		const res = await gql(
			'mutation { createLead(input: { name: "Skipped", status: CONVERTED }) { id } }',
		);

		expect([lead.status, ticket.status]).toEqual([201, 201]);
		expect(res.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(res.body.data?.createLead ?? null).toBeNull();
	});
});

describe("money beyond exact integer minor units", () => {
	async function productAt(price: number): Promise<string> {
		const sku = `BIG-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
		const res = await gw.api.post(`${gw.base}/products`, { sku, name: "Big", price });
		expect(res.status).toBe(201);

		return res.body.data.id;
	}

	test("a line whose total passes 2^53 minor units is 400 on its quantity; no order is stored", async () => {
		const { customerId } = await customerWithOrder(gw);
		const product = await productAt(1234567890.47);
		const before = await orderCount(gw);

		const res = await gw.api.post(`${gw.base}/orders`, {
			customer_id: customerId,
			items: [{ product_id: product, quantity: 999999 }],
		});

		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(res.body.error.details).toEqual([
			{
				field: "items[0].quantity",
				message: "makes the line total larger than 90071992547409.91 USD",
				value: 999999,
			},
		]);
		expect(await orderCount(gw)).toBe(before);
	});

	test("exact lines whose sum passes 2^53 minor units are 400 on items", async () => {
		const { customerId } = await customerWithOrder(gw);
		const product = await productAt(900_000_000_000);
		const line = { product_id: product, quantity: 60 };

		const res = await gw.api.post(`${gw.base}/orders`, {
			customer_id: customerId,
			items: [line, line],
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({
			field: "items",
			message: "make the total larger than 90071992547409.91 USD",
		});
	});

	test("a price above a trillion is refused", async () => {
		const res = await gw.api.post(`${gw.base}/products`, {
			sku: `HUGE-${Date.now()}`,
			name: "Huge",
			price: 1e13,
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].field).toBe("price");
	});
});

describe("organization slugs", () => {
	test("a slug another organization holds is 409, and the slug stays as it was", async () => {
		const [neighbour] = gw.others;
		const theirs = (
			await client(gw.node.url, neighbour.api_key).get(
				`/v1/organizations/${neighbour.organization_id}`,
			)
		).body.data.slug;
		const before = (await gw.api.get(gw.base)).body.data.slug;

		const taken = await gw.api.patch(gw.base, { slug: theirs });
		const free = await gw.api.patch(gw.base, { slug: `${before}-renamed` });

		expect(taken.status).toBe(409);
		expect(taken.body.error).toMatchObject({
			code: "CONFLICT",
			details: [{ field: "slug", message: "is already taken" }],
		});
		expect(free.status).toBe(200);
		expect(free.body.data.slug).toBe(`${before}-renamed`);
	});
});

describe("webhook targets", () => {
	test("an IPv4-compatible IPv6 literal ([::127.0.0.1]) is refused like the IPv4 address", async () => {
		const res = await gw.api.post(`${gw.base}/webhooks`, {
			url: "http://[::127.0.0.1]/hook",
			events: ["*"],
		});
		const stored = await gw.api.get(`${gw.base}/webhooks`);

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({
			field: "url",
			message: "must not point at a ipv4Compatible address",
		});
		expect(stored.body.data).toEqual([]);
	});
});

describe("impossible calendar dates", () => {
	test("an order dated 2026-02-29 is 400 and not stored; 2028-02-29 is a real day", async () => {
		const { customerId } = await customerWithOrder(gw);
		const product = (await gw.api.get(`${gw.base}/products?limit=1`)).body.data[0].id;
		const order = (day: string) =>
			gw.api.post(`${gw.base}/orders`, {
				customer_id: customerId,
				order_date: day,
				items: [{ product_id: product, quantity: 1 }],
			});

		const before = await orderCount(gw);
		const impossible = await order("2026-02-29");
		const after = await orderCount(gw);
		const leap = await order("2028-02-29");

		expect(impossible.status).toBe(400);
		expect(impossible.body.error.details[0]).toMatchObject({
			field: "order_date",
			message: "is not a real date",
		});
		expect(after).toBe(before);
		expect(leap.status).toBe(201);
	});

	test("impossible dates in list filters and analytics ranges are 400", async () => {
		const created = await gw.api.get(`${gw.base}/customers?created_after=2026-02-30`);
		const sales = await gw.api.get(`${gw.base}/analytics/sales?group_by=day&from=2026-02-30`);

		expect(created.status).toBe(400);
		expect(created.body.error.details[0].field).toBe("created_after");
		expect(sales.status).toBe(400);
		expect(sales.body.error.details[0]).toMatchObject({
			field: "from",
			message: "is not a real date",
		});
	});
});

describe("ticket assignees", () => {
	test("a ticket is assigned only to a member of its organization", async () => {
		const [neighbour] = gw.others;
		const ticket = (await gw.api.post(`${gw.base}/tickets`, { subject: "Assign me" })).body
			.data;
		const path = `${gw.base}/tickets/${ticket.id}`;

		const foreign = await gw.api.patch(path, { assignee_id: neighbour.user_id });
		const unknown = await gw.api.post(`${gw.base}/tickets`, {
			subject: "Nobody's",
			assignee_id: "00000000-0000-4000-8000-000000000000",
		});
		const member = await gw.api.patch(path, { assignee_id: gw.owner.user_id });

		expect(foreign.status).toBe(400);
		expect(foreign.body.error.details[0]).toMatchObject({
			field: "assignee_id",
			message: "is not a member of this organization",
		});
		expect(unknown.status).toBe(400);
		expect(member.status).toBe(200);
		expect(member.body.data.assignee_id).toBe(gw.owner.user_id);
	});
});

describe("messages name the missing resource", () => {
	test("a quote for an opportunity of no one is 404 'No such opportunity'", async () => {
		const { customerId } = await customerWithOrder(gw);
		const product = (await gw.api.get(`${gw.base}/products?limit=1`)).body.data[0].id;
		const res = await gw.api.post(`${gw.base}/quotes`, {
			customer_id: customerId,
			opportunity_id: "00000000-0000-4000-8000-000000000000",
			items: [{ product_id: product, quantity: 1 }],
		});

		expect(res.status).toBe(404);
		expect(res.body.error.message).toBe("No such opportunity");
	});
});

describe("key scopes come from the scope catalogue", () => {
	test.each([
		[["nonexistent:read"], "is not a scope of this API"],
		[["customers:read", "customers:read"], "must not name an item twice"],
		[[], "at least 1"],
	])("scopes %j are 400; no key is stored", async (scopes, message) => {
		const name = `scopes ${JSON.stringify(scopes)}`;
		const res = await gw.api.post("/v1/auth/api-keys", { name, scopes });
		const listed = await gw.api.get("/v1/auth/api-keys?limit=100");

		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(res.body.error.details[0].field).toMatch(/^scopes/);
		expect(res.body.error.details[0].message).toMatch(message);
		expect(listed.body.data.map((k: { name: string }) => k.name)).not.toContain(name);
	});
});

describe("another organization's user", () => {
	test("their devices are 404 'No such user', not an empty list", async () => {
		const [neighbour] = gw.others;
		const res = await gw.api.get(`/v1/auth/sessions/${neighbour.user_id}/devices`);
		const own = await gw.api.get(`/v1/auth/sessions/${gw.owner.user_id}/devices`);

		expect(res.status).toBe(404);
		expect(res.body.error).toMatchObject({ code: "NOT_FOUND", message: "No such user" });
		expect(own.status).toBe(200);
	});
});

describe("CSV export", () => {
	test("formula-looking cells are exported behind a quote, and re-importing the export changes nothing", async () => {
		const csv = [
			"sku,name,price,category",
			'FX1,"=HYPERLINK(""http://evil"")",1.00,@SUM(1+1)',
			// A spreadsheet's own text marker: the quote is not part of the value.
			"FX2,+cmd,2.00,'-1+1",
		].join("\n");
		const imported = await gw.api.post(`${gw.base}/products/bulk-import`, csv, {
			"content-type": "text/csv",
		});
		const exported = await gw.api.get(`${gw.base}/products/bulk-export?format=csv`);
		const lines = (exported.body as string).split("\n").filter((l) => l.includes("FX"));
		const again = await gw.api.post(`${gw.base}/products/bulk-import`, exported.body, {
			"content-type": "text/csv",
		});
		const after = await gw.api.get(`${gw.base}/products?sku_in=FX1,FX2&sort=sku:asc`);

		expect(imported.status).toBe(200);
		expect(lines.join("\n")).toContain(`"'=HYPERLINK(""http://evil"")"`);
		expect(lines.join("\n")).toContain("'@SUM(1+1)");
		expect(lines.join("\n")).toContain("'+cmd");
		expect(lines.join("\n")).toContain("'-1+1");
		expect(again.status).toBe(200);
		expect(after.body.data.map((p: Record<string, string>) => [p.name, p.category])).toEqual([
			['=HYPERLINK("http://evil")', "@SUM(1+1)"],
			["+cmd", "-1+1"],
		]);
	});
});

describe("sort", () => {
	test("a field sorted twice is 400, reported once however often it repeats", async () => {
		const sort = Array.from({ length: 500 }, (_, i) => `name:${i % 2 ? "desc" : "asc"}`);
		const res = await gw.api.get(`${gw.base}/customers?sort=${sort.join(",")}`);

		expect(res.status).toBe(400);
		expect(res.body.error.details).toHaveLength(1);
		expect(res.body.error.details[0]).toMatchObject({
			field: "sort",
			message: "sorts by name more than once",
		});
	});
});

describe("primary contacts", () => {
	test("making a contact primary makes the customer's previous primary an ordinary contact", async () => {
		const { customerId } = await customerWithOrder(gw);
		const contacts = `${gw.base}/customers/${customerId}/contacts`;
		const first = (await gw.api.post(contacts, { name: "First", is_primary: true })).body.data;
		const second = (await gw.api.post(contacts, { name: "Second", is_primary: true })).body
			.data;
		const afterCreate = await gw.api.get(`${contacts}?is_primary=true`);
		await gw.api.patch(`${contacts}/${first.id}`, { is_primary: true });
		const afterUpdate = await gw.api.get(`${contacts}?is_primary=true`);

		expect(afterCreate.body.data.map((c: { id: string }) => c.id)).toEqual([second.id]);
		expect(afterUpdate.body.data.map((c: { id: string }) => c.id)).toEqual([first.id]);
	});
});

describe("external ids", () => {
	test.each([
		["", "greater than or equal to 1"],
		["ALFKI ", "must not start or end with whitespace"],
		[" ALFKI", "must not start or end with whitespace"],
	])("external_id %j is 400", async (externalId, message) => {
		const res = await gw.api.post(`${gw.base}/customers`, {
			name: "External",
			segment: "smb",
			external_id: externalId,
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].field).toBe("external_id");
		expect(res.body.error.details[0].message).toMatch(message);
	});
});
