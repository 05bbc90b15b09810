/**
 * What a tenant must not be able to do to get more than it is given (the hostile-input report,
 * notes/hostile.md): raise its own plan, read a resource through another one's `include`,
 * smuggle store operators in a cursor, exceed its plan with a key, skip a workflow at creation,
 * or store amounts that exact money cannot hold. Each case goes through the real clients.
 */
import { client, type OrganizationGateway, organizationGateway } from "../helpers/gateway";
import { graphqlClient } from "../helpers/graphql";

let gw: OrganizationGateway;

beforeAll(async () => {
	// The free plan: the smallest quota, the one a tenant would most like to leave.
	gw = await organizationGateway("Hardening Org", {}, "free");
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
		expect(after.headers.get("x-ratelimit-limit")).toBe("1000");
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
