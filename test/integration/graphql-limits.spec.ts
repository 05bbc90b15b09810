/**
 * What a GraphQL request may be: depth 10 (the root field is level 1), cost 1,000, at most 30
 * aliases, one operation per request, CSRF prevention, and no introspection or field
 * suggestions in production. Over-limit operations are refused before anything executes.
 */
import { type GatewayNode, startNode, tempDir, bootstrap } from "../helpers/gateway";
import {
	graphqlClient,
	type GraphqlRequest,
	metricValue,
	startGraphqlGateway,
} from "../helpers/graphql";

let node: GatewayNode;
let production: GatewayNode;
let key: string;
let gql: GraphqlRequest;
let metricsUrl: string;

/**
 * `createCustomer` (level 1) nested `levels` deep: contacts at even levels, their customer at odd.
 */
function nestedMutation(name: string, levels: number): string {
	let selection = "id";
	for (let level = levels - 1; level >= 2; level--) {
		selection =
			level % 2 === 0 ? `contacts(first: 1) { ${selection} }` : `customer { ${selection} }`;
	}

	return `mutation { createCustomer(input: { name: "${name}", segment: SMB }) { ${selection} } }`;
}

async function customersNamed(name: string): Promise<number> {
	const res = await gql("query($q: String!) { customers(filter: { q: $q }) { totalCount } }", {
		q: name,
	});

	return res.body.data.customers.totalCount;
}

beforeAll(async () => {
	const gateway = await startGraphqlGateway("Limits Org");
	({ node, metricsUrl } = gateway);
	key = gateway.owners[0].api_key;
	[gql] = gateway.clients;
});

afterAll(async () => {
	await node?.stop();
	await production?.stop();
});

describe("depth and cost", () => {
	test("a depth-10 mutation runs; a depth-11 one is refused and creates nothing", async () => {
		const tag = `depth${Math.random().toString(36).slice(2, 8)}`;

		const ten = await gql(nestedMutation(`${tag} ten`, 10));
		const eleven = await gql(nestedMutation(`${tag} eleven`, 11));

		expect(ten.body.errors).toBeUndefined();
		expect(eleven.status).toBe(400);
		expect(eleven.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(eleven.body.errors[0].message).toMatch(/deeper than 10 levels/);
		expect(await customersNamed(`${tag} ten`)).toBe(1);
		expect(await customersNamed(`${tag} eleven`)).toBe(0);
	});

	test("cost 1 + 100 × 10 = 1,001 is refused before the mutation runs; 1 + 99 × 10 = 991 runs", async () => {
		const tag = `cost${Math.random().toString(36).slice(2, 8)}`;
		// A paged list costs its selection times `first`; createCustomer is 1 plus its selection.
		const ten = "id name email phone title isPrimary isActive customerId version createdAt";
		const mutation = (name: string, first: number) =>
			`mutation { createCustomer(input: { name: "${name}", segment: SMB }) {
				contacts(first: ${first}) { ${ten} } } }`;

		const over = await gql(mutation(`${tag} over`, 100));
		const under = await gql(mutation(`${tag} under`, 99));

		expect(over.status).toBe(400);
		expect(over.body.errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "query", value: 1001 }],
		});
		expect(under.body.errors).toBeUndefined();
		expect(await customersNamed(`${tag} over`)).toBe(0);
		expect(await customersNamed(`${tag} under`)).toBe(1);
	});

	test("bulk items of aliased bulk mutations count together: 3 × 400 over the 1,000 cap is refused and stores nothing", async () => {
		const tag = `bulk${Math.random().toString(36).slice(2, 8)}`;
		const aliased = (aliases: number) =>
			`mutation($i: [CreateCustomerInput!]!) { ${Array.from(
				{ length: aliases },
				(_, n) => `a${n}: bulkCreateCustomers(input: $i) { succeeded }`,
			).join(" ")} }`;
		const items = (prefix: string, count: number) =>
			Array.from({ length: count }, (_, n) => ({
				name: `${tag} ${prefix} ${n}`,
				segment: "SMB",
			}));

		const over = await gql(aliased(3), { i: items("over", 400) });
		const under = await gql(aliased(2), { i: items("under", 3) });

		expect(over.status).toBe(400);
		expect(over.body.errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "input", value: 1200 }],
		});
		expect(under.body.errors).toBeUndefined();
		expect(await customersNamed(`${tag} over`)).toBe(0);
		expect(await customersNamed(`${tag} under`)).toBe(6);
	});

	test("a connection costs its nodes' selection times first: 91 × (1 + 10) = 1,001 is refused", async () => {
		const ten = "id name email phone company segment status lifetimeValue currency externalId";
		const query = (first: number) =>
			`{ customers(pagination: { first: ${first} }) { nodes { ${ten} } } }`;

		const over = await gql(query(91));
		const under = await gql(query(90));

		expect(over.body.errors[0].extensions.details[0].value).toBe(1001);
		expect(under.body.errors).toBeUndefined();
	});

	test("more than 30 aliases are refused", async () => {
		const aliases = (n: number) =>
			`{ ${Array.from({ length: n }, (_, i) => `a${i}: organization { id }`).join(" ")} }`;

		const thirty = await gql(aliases(30));
		const thirtyOne = await gql(aliases(31));

		expect(thirty.body.errors).toBeUndefined();
		expect(thirtyOne.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(thirtyOne.body.errors[0].message).toMatch(/more than 30 aliases/);
	});
});

describe("transport", () => {
	test("a batch of operations is refused", async () => {
		const res = await fetch(`${node.url}/graphql`, {
			method: "POST",
			headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
			body: JSON.stringify([
				{ query: "{ organization { id } }" },
				{ query: "{ organization { id } }" },
			]),
		});
		const body = await res.json();

		expect(res.status).toBe(400);
		expect(body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
	});

	test("CSRF prevention: a form-like POST is 415 and a GET needs a preflight header", async () => {
		const query = encodeURIComponent("{ organization { name } }");
		const auth = { authorization: `Bearer ${key}` };

		const plain = await fetch(`${node.url}/graphql`, {
			method: "POST",
			headers: { ...auth, "content-type": "text/plain" },
			body: JSON.stringify({ query: "{ organization { id } }" }),
		});
		const simpleGet = await fetch(`${node.url}/graphql?query=${query}`, { headers: auth });
		const preflighted = await fetch(`${node.url}/graphql?query=${query}`, {
			headers: { ...auth, "apollo-require-preflight": "true" },
		});

		expect(plain.status).toBe(415);
		expect((await plain.json()).errors[0].extensions.code).toBe("UNSUPPORTED_MEDIA_TYPE");
		expect(simpleGet.status).toBe(400);
		expect((await simpleGet.json()).errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(preflighted.status).toBe(200);
		expect((await preflighted.json()).data.organization.name).toBe("Limits Org");
	});

	test("a GET runs queries only, and a request without a query is refused in GraphQL's shape", async () => {
		const mutation = encodeURIComponent(
			'mutation { updateOrganization(input: { name: "X" }) { name } }',
		);
		const viaGet = await fetch(`${node.url}/graphql?query=${mutation}`, {
			headers: { authorization: `Bearer ${key}`, "apollo-require-preflight": "true" },
		});
		const empty = await gql("");

		expect(viaGet.status).toBe(405);
		expect(viaGet.headers.get("allow")).toBe("POST");
		expect((await viaGet.json()).errors[0].extensions.code).toBe("METHOD_NOT_ALLOWED");
		expect(empty.status).toBe(400);
		expect(empty.body.errors[0].extensions.details[0].field).toBe("query");
	});

	test("a subscription POSTed over HTTP is refused as VALIDATION_ERROR, not run", async () => {
		const res = await gql('subscription { customerInteraction(customerId: "x") { subject } }');

		expect(res.status).toBe(400);
		expect(res.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(res.body.errors[0].message).toMatch(/graphql-ws/);
		expect(node.logs()).not.toContain("GraphQL customerInteraction failed");
	});

	test("outside production a misspelt field gets a suggestion", async () => {
		const res = await gql("{ organization { nmae } }");

		expect(res.body.errors[0].message).toMatch(/Did you mean "name"/);
	});
});

describe("rate limits", () => {
	test("GraphQL spends the hourly quota REST spends: a query 1 unit, a bulk mutation 10, then 429", async () => {
		const created = await gql(
			'mutation { createApiKey(input: { name: "Quota", rateLimitPerHour: 12 }) { key } }',
		);
		const limited = created.body.data.createApiKey.key;
		const ownGql = graphqlClient(node.url, limited);
		const orgId = (await gql("{ organization { id } }")).body.data.organization.id;

		const rest = await fetch(`${node.url}/v1/organizations/${orgId}/customers`, {
			headers: { authorization: `Bearer ${limited}` },
		});
		const query = await ownGql("{ organization { id } }");
		const bulk = await ownGql(
			'mutation { bulkCreateCustomers(input: [{ name: "Quota", segment: SMB }]) { succeeded } }',
		);
		const refused = await ownGql("{ organization { id } }");

		expect(rest.headers.get("x-ratelimit-remaining")).toBe("11");
		expect(query.headers.get("x-ratelimit-remaining")).toBe("10");
		expect(bulk.headers.get("x-ratelimit-remaining")).toBe("0");
		expect(bulk.body.data.bulkCreateCustomers.succeeded).toBe(1);
		expect(refused.status).toBe(429);
		expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
		expect(refused.body.errors[0].extensions.code).toBe("RATE_LIMITED");
		const rejected = await metricValue(
			metricsUrl,
			"rate_limit_rejections_total",
			'surface="graphql"',
		);
		expect(rejected).toBe(1);
	});
});

describe("under NODE_ENV=production", () => {
	let prod: GraphqlRequest;

	beforeAll(async () => {
		const dataDir = tempDir();
		const owner = bootstrap({ DATA_DIR: dataDir }, "Production Org");
		production = await startNode({ DATA_DIR: dataDir, NODE_ENV: "production" });
		prod = graphqlClient(production.url, owner.api_key);
	});

	test("introspection is refused", async () => {
		const schema = await prod("{ __schema { types { name } } }");
		const type = await prod('{ __type(name: "Customer") { fields { name } } }');

		expect(schema.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
		expect(schema.body.data).toBeUndefined();
		expect(type.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
	});

	test("field suggestions are left out of error messages", async () => {
		const res = await prod("{ organization { nmae } }");

		expect(res.body.errors[0].message).toBe(
			'Cannot query field "nmae" on type "Organization".',
		);
		expect(res.body.errors[0].extensions).toEqual({ code: "VALIDATION_ERROR" });
	});

	test("SIGTERM after GraphQL was served stops the node gracefully", async () => {
		await prod("{ organization { id } }");

		await production.stop();

		expect(production.logs()).not.toMatch(/Unable to stop/);
	});
});
