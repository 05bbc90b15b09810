/**
 * GraphQL over HTTP against a real gateway process: every query and mutation over the
 * resources that exist, relations batched through DataLoader (counted by Moleculer's own
 * metrics), scopes, tenancy and
 * the error catalogue in `extensions.code`.
 */
import { type GatewayNode, type Owner } from "../helpers/gateway";
import {
	actionCalls,
	callsBetween,
	graphqlClient,
	type GraphqlRequest,
	startGraphqlGateway,
} from "../helpers/graphql";

let node: GatewayNode;
let owner: Owner;
let gql: GraphqlRequest;
let otherGql: GraphqlRequest;
let metricsUrl: string;

const CUSTOMER_FIELDS = "id name email segment status lifetimeValue version externalId";

async function createCustomer(input: Record<string, unknown> = {}) {
	const res = await gql(
		`mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ${CUSTOMER_FIELDS} } }`,
		{
			input: {
				name: `C ${Math.random().toString(36).slice(2, 8)}`,
				segment: "SMB",
				...input,
			},
		},
	);
	expect(res.body.errors).toBeUndefined();

	return res.body.data.createCustomer;
}

beforeAll(async () => {
	const gateway = await startGraphqlGateway("GraphQL Org", "Other GraphQL Org");
	({ node, metricsUrl } = gateway);
	[owner] = gateway.owners;
	[gql, otherGql] = gateway.clients;
});

afterAll(async () => {
	await node?.stop();
});

describe("queries", () => {
	test("organization answers the caller's own organization with UPPER_CASE enums", async () => {
		const res = await gql("{ organization { id name plan slug version } }");

		expect(res.status).toBe(200);
		expect(res.body.data.organization).toMatchObject({
			id: owner.organization_id,
			name: "GraphQL Org",
			plan: "PRO",
			version: 1,
		});
	});

	test("customer(id) answers camelCase fields; another organization's id is null with NOT_FOUND", async () => {
		const created = await createCustomer({ segment: "MID_MARKET", externalId: "GQL-1" });

		const mine = await gql(`query($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`, {
			id: created.id,
		});
		const theirs = await otherGql(`query($id: ID!) { customer(id: $id) { id } }`, {
			id: created.id,
		});

		expect(mine.body.data.customer).toEqual({
			...created,
			segment: "MID_MARKET",
			status: "ACTIVE",
			lifetimeValue: 0,
			externalId: "GQL-1",
		});
		expect(theirs.body.data.customer).toBeNull();
		expect(theirs.body.errors[0].extensions.code).toBe("NOT_FOUND");
	});

	test("customers filters, sorts and pages with per-edge cursors like the REST list", async () => {
		const tag = `pg-${Math.random().toString(36).slice(2, 8)}`;
		for (const name of ["Delta", "Alpha", "Charlie", "Bravo", "Echo"])
			await createCustomer({ name: `${tag} ${name}`, segment: "STARTUP" });
		await createCustomer({ name: `${tag} Foxtrot`, segment: "ENTERPRISE" });
		const page = `query($q: String, $after: String, $before: String, $first: Int, $last: Int) {
			customers(filter: { q: $q, segmentIn: [STARTUP, SMB] }, sort: [{ field: NAME, direction: ASC }],
				pagination: { first: $first, after: $after, last: $last, before: $before }) {
				totalCount edges { cursor node { name } } nodes { name }
				pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

		const first = (await gql(page, { q: tag, first: 2 })).body.data.customers;
		const second = (await gql(page, { q: tag, first: 2, after: first.pageInfo.endCursor })).body
			.data.customers;
		const back = (await gql(page, { q: tag, last: 2, before: second.pageInfo.startCursor }))
			.body.data.customers;
		const last = (await gql(page, { q: tag, first: 2, after: second.edges[1].cursor })).body
			.data.customers;

		expect(first.totalCount).toBe(5);
		expect(first.nodes.map((n: { name: string }) => n.name)).toEqual([
			`${tag} Alpha`,
			`${tag} Bravo`,
		]);
		expect(first.edges.map((e: { node: unknown }) => e.node)).toEqual(first.nodes);
		expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
		expect(second.nodes.map((n: { name: string }) => n.name)).toEqual([
			`${tag} Charlie`,
			`${tag} Delta`,
		]);
		expect(back.nodes).toEqual(first.nodes);
		expect(last.nodes.map((n: { name: string }) => n.name)).toEqual([`${tag} Echo`]);
		expect(last.pageInfo.hasNextPage).toBe(false);
	});

	test("a filter the REST list refuses is refused the same way, naming the parameter", async () => {
		const res = await gql('{ customers(filter: { q: "" }) { totalCount } }');

		expect(res.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(res.body.errors[0].extensions.details[0].field).toBe("q");
	});

	test("members, events and API keys are listed and read one by one", async () => {
		await createCustomer();
		const res = await gql(`{
			members { totalCount nodes { id userId role status } }
			events(filter: { type: "customer.created" }, pagination: { first: 1 }) {
				nodes { id type actor data } }
			apiKeys { nodes { id name scopes isActive prefix key } } }`);
		const { members, events, apiKeys } = res.body.data;
		const one = await gql(
			`query($m: ID!, $e: ID!, $k: ID!) { member(id: $m) { role } event(id: $e) { type }
				apiKey(id: $k) { name } }`,
			{ m: members.nodes[0].id, e: events.nodes[0].id, k: apiKeys.nodes[0].id },
		);

		expect(members.nodes[0]).toMatchObject({
			userId: owner.user_id,
			role: "OWNER",
			status: "ACTIVE",
		});
		expect(events.nodes[0]).toMatchObject({
			type: "customer.created",
			actor: { type: "api_key" },
		});
		expect(apiKeys.nodes[0]).toMatchObject({ scopes: ["*"], isActive: true, key: null });
		expect(one.body.data).toEqual({
			member: { role: "OWNER" },
			event: { type: "customer.created" },
			apiKey: { name: apiKeys.nodes[0].name },
		});
	});

	test("search finds customers by text and alternates types up to the limit", async () => {
		const tag = `srch${Math.random().toString(36).slice(2, 8)}`;
		await createCustomer({ name: `${tag} One` });
		await createCustomer({ name: `${tag} Two` });

		const res = await gql(
			`query($q: String!) { search(query: $q, types: [CUSTOMER], limit: 1) {
				__typename ... on Customer { name } } }`,
			{ q: tag },
		);
		const all = await gql(`query($q: String!) { search(query: $q) { __typename } }`, {
			q: tag,
		});

		expect(res.body.data.search).toHaveLength(1);
		expect(res.body.data.search[0]).toMatchObject({ __typename: "Customer" });
		expect(all.body.data.search).toHaveLength(2);
	});
});

describe("mutations", () => {
	test("updateCustomer merges fields, bumps the version and refuses a stale expectedVersion", async () => {
		const created = await createCustomer();
		const update = `mutation($id: ID!, $v: Int, $input: UpdateCustomerInput!) {
			updateCustomer(id: $id, expectedVersion: $v, input: $input) { status company version } }`;

		const ok = await gql(update, {
			id: created.id,
			v: 1,
			input: { status: "CHURNED", company: "X" },
		});
		const stale = await gql(update, { id: created.id, v: 1, input: { company: "Y" } });

		expect(ok.body.data.updateCustomer).toEqual({
			status: "CHURNED",
			company: "X",
			version: 2,
		});
		expect(stale.body.errors[0].extensions.code).toBe("PRECONDITION_FAILED");
	});

	test("deleteCustomer answers true and the customer is gone", async () => {
		const created = await createCustomer();

		const res = await gql("mutation($id: ID!) { deleteCustomer(id: $id) }", { id: created.id });
		const after = await gql("query($id: ID!) { customer(id: $id) { id } }", { id: created.id });

		expect(res.body.data.deleteCustomer).toBe(true);
		expect(after.body.errors[0].extensions.code).toBe("NOT_FOUND");
	});

	test("invalid input is VALIDATION_ERROR with details per field; a taken externalId is CONFLICT", async () => {
		const bad = await gql(
			'mutation { createCustomer(input: { name: "", segment: SMB, email: "nope" }) { id } }',
		);
		await createCustomer({ externalId: "TAKEN-1" });
		const taken = await gql(
			'mutation { createCustomer(input: { name: "Dup", segment: SMB, externalId: "TAKEN-1" }) { id } }',
		);

		expect(bad.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		const fields = bad.body.errors[0].extensions.details.map((d: { field: string }) => d.field);
		expect(fields.sort()).toEqual(["email", "name"]);
		expect(taken.body.errors[0].extensions.code).toBe("CONFLICT");
	});

	test("bulk create, update and delete answer item by item; valid items commit", async () => {
		const created = await gql(`mutation { bulkCreateCustomers(input: [
			{ name: "Bulk A", segment: SMB }, { name: "", segment: SMB }, { name: "Bulk C", segment: SMB }
		]) { succeeded failed results { index status id data { name } error { code details { field } } } } }`);
		const result = created.body.data.bulkCreateCustomers;
		const ids = result.results
			.filter((r: { id?: string }) => r.id)
			.map((r: { id: string }) => r.id);
		const updated = await gql(
			`mutation($a: ID!) { bulkUpdateCustomers(input: [{ id: $a, input: { company: "Bulk Co" } }]) {
				succeeded results { status data { company } } } }`,
			{ a: ids[0] },
		);
		const removed = await gql(
			"mutation($ids: [ID!]!) { bulkDeleteCustomers(ids: $ids) { succeeded results { status } } }",
			{ ids },
		);

		expect(result).toMatchObject({ succeeded: 2, failed: 1 });
		expect(result.results[1]).toMatchObject({
			index: 1,
			status: "FAILED",
			id: null,
			error: { code: "VALIDATION_ERROR", details: [{ field: "name" }] },
		});
		expect(result.results[2]).toMatchObject({ status: "CREATED", data: { name: "Bulk C" } });
		expect(updated.body.data.bulkUpdateCustomers.results[0]).toEqual({
			status: "UPDATED",
			data: { company: "Bulk Co" },
		});
		expect(removed.body.data.bulkDeleteCustomers).toMatchObject({ succeeded: 2 });
	});

	test("contacts and interactions are created, updated and deleted; their customer must exist", async () => {
		const customer = await createCustomer();
		const contact = await gql(
			`mutation($c: ID!) { createCustomerContact(input: { customerId: $c, name: "Maria", isPrimary: true }) {
				id customerId isPrimary customer { id } } }`,
			{ c: customer.id },
		);
		const id = contact.body.data.createCustomerContact.id;
		const updated = await gql(
			'mutation($id: ID!) { updateCustomerContact(id: $id, input: { title: "CFO" }) { title } }',
			{ id },
		);
		const interaction = await gql(
			`mutation($c: ID!) { createCustomerInteraction(input: { customerId: $c, type: MEETING,
				channel: IN_PERSON, occurredAt: "2026-01-31T09:30:00Z" }) { type channel occurredAt } }`,
			{ c: customer.id },
		);
		const removed = await gql("mutation($id: ID!) { deleteCustomerContact(id: $id) }", { id });
		const orphan = await gql(
			'mutation($c: ID!) { createCustomerContact(input: { customerId: $c, name: "X" }) { id } }',
			{ c: "00000000-0000-4000-8000-000000000000" },
		);

		expect(contact.body.data.createCustomerContact).toMatchObject({
			customerId: customer.id,
			isPrimary: true,
			customer: { id: customer.id },
		});
		expect(updated.body.data.updateCustomerContact.title).toBe("CFO");
		expect(interaction.body.data.createCustomerInteraction).toEqual({
			type: "MEETING",
			channel: "IN_PERSON",
			occurredAt: "2026-01-31T09:30:00.000Z",
		});
		expect(removed.body.data.deleteCustomerContact).toBe(true);
		expect(orphan.body.errors[0].extensions.code).toBe("NOT_FOUND");
	});

	test("updateOrganization changes the caller's organization", async () => {
		const res = await otherGql(
			'mutation { updateOrganization(input: { name: "Renamed" }) { name } }',
		);

		expect(res.body.data.updateOrganization.name).toBe("Renamed");
	});

	test("an API key is created (its secret shown once), updated and revoked", async () => {
		const created = await gql(
			'mutation { createApiKey(input: { name: "Reporting", scopes: ["customers:read"] }) { id key scopes } }',
		);
		const { id, key } = created.body.data.createApiKey;
		const renamed = await gql(
			'mutation($id: ID!) { updateApiKey(id: $id, input: { name: "R2" }) { name } }',
			{
				id,
			},
		);
		const works = await graphqlClient(node.url, key)("{ customers { totalCount } }");
		const revoked = await gql("mutation($id: ID!) { deleteApiKey(id: $id) }", { id });
		const after = await graphqlClient(node.url, key)("{ customers { totalCount } }");

		expect(key).toMatch(/^mnx_/);
		expect(renamed.body.data.updateApiKey.name).toBe("R2");
		expect(works.body.errors).toBeUndefined();
		expect(revoked.body.data.deleteApiKey).toBe(true);
		expect(after.status).toBe(401);
		expect(after.body.errors[0].extensions.code).toBe("UNAUTHORIZED");
	});
});

describe("scopes, credentials and batching of relations", () => {
	test("a read-only key reads but every mutation is FORBIDDEN", async () => {
		const created = await gql(
			'mutation { createApiKey(input: { name: "RO", scopes: ["*:read"] }) { key } }',
		);
		const readOnly = graphqlClient(node.url, created.body.data.createApiKey.key);

		const read = await readOnly("{ customers { totalCount } }");
		const write = await readOnly(
			'mutation { createCustomer(input: { name: "No", segment: SMB }) { id } }',
		);

		expect(read.body.errors).toBeUndefined();
		expect(write.body.data).toBeNull();
		expect(write.body.errors[0].extensions.code).toBe("FORBIDDEN");
	});

	test("no credential is 401 UNAUTHORIZED in GraphQL's error shape", async () => {
		const res = await graphqlClient(node.url)("{ organization { id } }");

		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
		expect(res.body.errors[0].extensions.code).toBe("UNAUTHORIZED");
	});

	test("50 customers with contacts, interactions and back-references take the same few action calls as 5", async () => {
		const tag = `n1-${Math.random().toString(36).slice(2, 8)}`;
		const items = Array.from({ length: 50 }, (_, i) => `{ name: "${tag} ${i}", segment: SMB }`);
		const bulk = await gql(
			`mutation { bulkCreateCustomers(input: [${items.join(",")}]) { results { id } } }`,
		);
		const ids: string[] = bulk.body.data.bulkCreateCustomers.results.map(
			(r: { id: string }) => r.id,
		);
		for (const id of ids) {
			await gql(
				`mutation($c: ID!) { a: createCustomerContact(input: { customerId: $c, name: "P" }) { id }
					b: createCustomerInteraction(input: { customerId: $c, type: CALL }) { id } }`,
				{ c: id },
			);
		}
		// Cost: nodes = 1 + name 1 + contacts 2×(name 1 + customer (1 + id 1)) + interactions
		// 2×1 = 11; customers = 11 × first. 50 × 11 = 550, under the limit of 1,000.
		const query = `query($q: String!, $n: Int!) { customers(filter: { q: $q }, pagination: { first: $n }) {
			nodes { name contacts(first: 2) { name customer { id } } interactions(first: 2) { type } } } }`;

		// Every action of the customer domains, as Moleculer counts them where they run.
		const domains = /^customer/;

		const start = await actionCalls(metricsUrl);
		const fifty = await gql(query, { q: tag, n: 50 });
		const middle = await actionCalls(metricsUrl);
		const five = await gql(query, { q: tag, n: 5 });
		const end = await actionCalls(metricsUrl);

		const nodes = fifty.body.data.customers.nodes;
		expect(nodes).toHaveLength(50);
		for (const n of nodes) {
			expect(n.contacts).toHaveLength(1);
			expect(n.interactions).toEqual([{ type: "CALL" }]);
		}
		expect(
			new Set(
				nodes.map(
					(n: { contacts: Array<{ customer: { id: string } }> }) =>
						n.contacts[0].customer.id,
				),
			).size,
		).toBe(50);
		const calls = callsBetween(start, middle, domains);
		expect(calls).toEqual({
			"customers.graphqlList": 1,
			"customers.list": 1,
			"customer-contacts.graphqlByParent": 1,
			"customer-interactions.graphqlByParent": 1,
			"customers.graphqlByIds": 1,
		});
		expect(callsBetween(middle, end, domains)).toEqual(calls);
		expect(five.body.data.customers.nodes).toHaveLength(5);
	});
});
