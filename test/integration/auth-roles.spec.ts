/**
 * Authorization in the gateway: each role against each verb, a read-only key refused on every
 * write route of the REST table, every organization route refused (404) across organizations,
 * and the owner rules of memberships.
 */
import crypto from "node:crypto";
import { memberWithRole, type SignedIn } from "../helpers/auth";
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { ROUTES } from "../../services/api/routes";

let node: GatewayNode;
let owner: Owner;
let other: Owner;
let base: string;
const roles: Record<string, SignedIn & { api: Client }> = {};

beforeAll(async () => {
	const dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Roles Org");
	other = bootstrap({ DATA_DIR: dataDir }, "Other Org");
	node = await startNode({ DATA_DIR: dataDir });
	base = `/v1/organizations/${owner.organization_id}`;
	for (const role of ["owner", "admin", "member", "read_only"])
		roles[role] = await memberWithRole(node.url, owner, role);
});

afterAll(async () => {
	await node?.stop();
});

/** The statuses of GET, POST, PUT, PATCH and DELETE on one resource, as `role`. */
async function verbs(
	api: Client,
	collection: string,
	body: Record<string, unknown>,
	change: Record<string, unknown>,
): Promise<number[]> {
	const seed = await client(node.url, owner.api_key).post(collection, body);
	if (!seed.body.data) throw new Error(`${collection}: ${JSON.stringify(seed.body)}`);
	const id = seed.body.data.id;

	return [
		(await api.get(collection)).status,
		(await api.post(collection, body)).status,
		(await api.put(`${collection}/${id}`, change)).status,
		(await api.patch(`${collection}/${id}`, change)).status,
		(await api.delete(`${collection}/${id}`)).status,
	];
}

describe("each role against each verb", () => {
	test.each([
		["owner", [200, 201, 200, 200, 200]],
		["admin", [200, 201, 200, 200, 200]],
		["member", [200, 201, 200, 200, 200]],
		["read_only", [200, 403, 403, 403, 403]],
	])("customers as %s: GET, POST, PUT, PATCH, DELETE → %j", async (role, expected) => {
		const name = () => ({ name: `C ${crypto.randomUUID()}`, segment: "smb" });

		expect(await verbs(roles[role].api, `${base}/customers`, name(), { company: "X" })).toEqual(
			expected,
		);
	});

	test.each([
		["owner", [200, 201, 200, 200, 200]],
		["admin", [200, 201, 200, 200, 200]],
		["member", [200, 403, 403, 403, 403]],
		["read_only", [200, 403, 403, 403, 403]],
	])("API keys as %s: GET, POST, PUT, PATCH, DELETE → %j", async (role, expected) => {
		const body = { name: "k", scopes: ["customers:read"] };

		expect(
			await verbs(roles[role].api, "/v1/auth/api-keys", body, { name: "renamed" }),
		).toEqual(expected);
	});

	test.each([
		["owner", [200, 201, 200, 200, 200]],
		["admin", [200, 201, 200, 200, 200]],
		["member", [200, 403, 403, 403, 403]],
		["read_only", [200, 403, 403, 403, 403]],
	])("OAuth clients as %s: GET, POST, PUT, PATCH, DELETE → %j", async (role, expected) => {
		const body = {
			name: "App",
			type: "public",
			redirect_uris: ["https://app.example/cb"],
			scopes: ["customers:read"],
		};

		expect(
			await verbs(roles[role].api, `${base}/oauth-clients`, body, { name: "Renamed" }),
		).toEqual(expected);
	});

	test.each([
		["owner", [200, 201, 200, 200, 200]],
		["admin", [200, 201, 200, 200, 200]],
		["member", [200, 403, 403, 403, 403]],
		["read_only", [200, 403, 403, 403, 403]],
	])("members as %s: GET, POST, PUT, PATCH, DELETE → %j", async (role, expected) => {
		const body = () => ({ email: `m-${crypto.randomUUID()}@example.test`, role: "member" });
		const seed = await client(node.url, owner.api_key).post(`${base}/members`, body());
		const api = roles[role].api;
		const id = seed.body.data.id;

		expect([
			(await api.get(`${base}/members`)).status,
			(await api.post(`${base}/members`, body())).status,
			(await api.put(`${base}/members/${id}`, { role: "read_only" })).status,
			(await api.patch(`${base}/members/${id}`, { role: "member" })).status,
			(await api.delete(`${base}/members/${id}`)).status,
		]).toEqual(expected);
	});

	test.each([
		["owner", [200, 200, 200]],
		["admin", [200, 200, 200]],
		["member", [200, 403, 403]],
		["read_only", [200, 403, 403]],
	])("the organization as %s: GET, PUT, PATCH → %j", async (role, expected) => {
		const api = roles[role].api;

		expect([
			(await api.get(base)).status,
			(await api.put(base, { name: "Roles Org" })).status,
			(await api.patch(base, { name: "Roles Org" })).status,
		]).toEqual(expected);
	});
});

/** A concrete path for a route of the table: our organization, made-up ids elsewhere. */
function concrete(path: string, orgId: string): string {
	return `/v1/${path}`.replace(":org_id", orgId).replace(/:[a-z_]+/g, () => crypto.randomUUID());
}

describe("a read-only API key", () => {
	test("gets 403 on every write route of the REST table", async () => {
		const created = await client(node.url, owner.api_key).post("/v1/auth/api-keys", {
			name: "ro",
			scopes: ["*:read"],
		});
		const api = client(node.url, created.body.data.key);
		// Signing in and out, and taking up an invitation, are not writes by this credential.
		const writes = ROUTES.filter(
			(r) =>
				r.method !== "GET" &&
				!r.action.startsWith("sessions.") &&
				r.action !== "members.acceptInvitation",
		);

		const refused: string[] = [];
		for (const route of writes) {
			const res = await api.request(
				route.method,
				concrete(route.path, owner.organization_id),
				{},
			);
			if (res.status !== 403) refused.push(`${route.method} ${route.path} → ${res.status}`);
		}

		expect(writes.length).toBeGreaterThan(20);
		expect(refused).toEqual([]);
	});
});

describe("tenancy", () => {
	test("every organization route with another organization's id is 404 for an owner key", async () => {
		const api = client(node.url, owner.api_key);
		const tenant = ROUTES.filter((r) => r.path.startsWith("organizations/:org_id"));

		const leaked: string[] = [];
		for (const route of tenant) {
			const res = await api.request(
				route.method,
				concrete(route.path, other.organization_id),
				route.method === "GET" ? undefined : {},
			);
			if (res.status !== 404) leaked.push(`${route.method} ${route.path} → ${res.status}`);
		}

		expect(leaked).toEqual([]);
	});

	test("another organization's API key, member and OAuth client ids are 404", async () => {
		const theirs = client(node.url, other.api_key);
		const key = (await theirs.post("/v1/auth/api-keys", { name: "theirs" })).body.data;
		const mine = client(node.url, owner.api_key);

		expect((await mine.get(`/v1/auth/api-keys/${key.id}`)).status).toBe(404);
		expect((await mine.delete(`/v1/auth/api-keys/${key.id}`)).status).toBe(404);
		expect((await client(node.url, key.key).get(`/v1/auth/api-keys/${key.id}`)).status).toBe(
			200,
		);
	});
});

describe("owner rules", () => {
	test("an admin cannot make an owner; an owner can", async () => {
		const email = () => `o-${crypto.randomUUID()}@example.test`;

		expect(
			(await roles.admin.api.post(`${base}/members`, { email: email(), role: "owner" }))
				.status,
		).toBe(403);
		expect(
			(await roles.owner.api.post(`${base}/members`, { email: email(), role: "owner" }))
				.status,
		).toBe(201);
	});

	test("the last owner cannot be demoted or removed", async () => {
		const theirs = client(node.url, other.api_key);
		const otherBase = `/v1/organizations/${other.organization_id}`;
		const [only] = (await theirs.get(`${otherBase}/members?role=owner`)).body.data;

		const demote = await theirs.patch(`${otherBase}/members/${only.id}`, { role: "admin" });
		const remove = await theirs.delete(`${otherBase}/members/${only.id}`);

		expect(demote.status).toBe(409);
		expect(remove.status).toBe(409);
		expect((await theirs.get(`${otherBase}/members/${only.id}`)).body.data.role).toBe("owner");
	});

	test("a role change ends the member's sessions and revokes keys that exceed the new role", async () => {
		const admin = await memberWithRole(node.url, owner, "admin");
		const key = (await admin.api.post("/v1/auth/api-keys", { name: "admin key" })).body.data;
		const readKey = (
			await admin.api.post("/v1/auth/api-keys", {
				name: "read key",
				scopes: ["customers:read"],
			})
		).body.data;
		const members = await client(node.url, owner.api_key).get(
			`${base}/members?user_id=${admin.user.id}`,
		);
		const membership = members.body.data[0];

		const res = await client(node.url, owner.api_key).patch(
			`${base}/members/${membership.id}`,
			{ role: "read_only" },
		);

		expect(res.status).toBe(200);
		expect((await admin.api.get(`${base}/customers`)).status).toBe(401);
		expect((await client(node.url, key.key).get(`${base}/customers`)).status).toBe(401);
		expect((await client(node.url, readKey.key).get(`${base}/customers`)).status).toBe(200);
	});
});
