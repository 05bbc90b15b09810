/**
 * API keys: created scoped to the caller's organization, the secret shown once and stored only
 * as a hash, scopes never beyond the creator's, expiry, revocation at once, `last_used_at`, and
 * the api_key.created / api_key.revoked events.
 */
import fs from "node:fs";
import { OWNER_PASSWORD, randomEmail, signIn } from "../helpers/auth";
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";

let dataDir: string;
let node: GatewayNode;
let owner: Owner;
let api: Client;
let base: string;

beforeAll(async () => {
	dataDir = tempDir();
	const email = randomEmail("owner");
	owner = bootstrap({ DATA_DIR: dataDir }, "Keys Org", email);
	node = await startNode({ DATA_DIR: dataDir });
	api = client(node.url, (await signIn(node.url, email, OWNER_PASSWORD)).access_token);
	base = `/v1/organizations/${owner.organization_id}`;
});

afterAll(async () => {
	await node?.stop();
});

describe("API keys", () => {
	test("the secret is shown once at creation; reads show the prefix, never the secret or its hash", async () => {
		const created = await api.post("/v1/auth/api-keys", {
			name: "CI",
			scopes: ["customers:read"],
			rate_limit_per_hour: 500,
		});
		const key = created.body.data;
		const read = await api.get(`/v1/auth/api-keys/${key.id}`);
		const list = await api.get("/v1/auth/api-keys");

		expect(created.status).toBe(201);
		expect(key.key).toMatch(/^mnx_[A-Za-z0-9_-]{40}$/);
		expect(key).toMatchObject({
			name: "CI",
			scopes: ["customers:read"],
			is_active: true,
			rate_limit_per_hour: 500,
			prefix: key.key.slice(0, 12),
		});
		expect(read.body.data.key).toBeUndefined();
		expect(read.body.data.prefix).toBe(key.prefix);
		for (const body of [read.body, list.body, created.body])
			expect(JSON.stringify(body)).not.toContain("key_hash");
		expect(JSON.stringify(list.body)).not.toContain(key.key);
		expect(fsContains(key.key)).toBe(false);
	});

	test("a key created without scopes gets its creator's; one cannot exceed its creator's", async () => {
		const plain = (await api.post("/v1/auth/api-keys", { name: "all" })).body.data;
		const narrow = client(
			node.url,
			(
				await api.post("/v1/auth/api-keys", {
					name: "narrow",
					scopes: ["customers:read", "api-keys:write"],
				})
			).body.data.key,
		);
		const wider = await narrow.post("/v1/auth/api-keys", {
			name: "wider",
			scopes: ["customers:write"],
		});
		const inherited = (await narrow.post("/v1/auth/api-keys", { name: "inherits" })).body.data;

		expect(plain.scopes).toEqual(["*"]);
		expect(wider.status).toBe(403);
		expect(inherited.scopes).toEqual(["customers:read", "api-keys:write"]);
	});

	test("the key works with Bearer and X-API-Key, and only on its own organization", async () => {
		const key = (await api.post("/v1/auth/api-keys", { name: "both" })).body.data.key;
		const viaHeader = await fetch(`${node.url}${base}/customers`, {
			headers: { "x-api-key": key },
		});

		expect((await client(node.url, key).get(`${base}/customers`)).status).toBe(200);
		expect(viaHeader.status).toBe(200);
	});

	test("DELETE revokes the key at once, keeps it listed, and cannot be undone", async () => {
		const key = (await api.post("/v1/auth/api-keys", { name: "doomed" })).body.data;
		const keyApi = client(node.url, key.key);
		expect((await keyApi.get(`${base}/customers`)).status).toBe(200);

		const removed = await api.delete(`/v1/auth/api-keys/${key.id}`);

		expect(removed.body.data).toEqual({ id: key.id, deleted: true });
		expect((await keyApi.get(`${base}/customers`)).status).toBe(401);
		const after = (await api.get(`/v1/auth/api-keys/${key.id}`)).body.data;
		expect(after).toMatchObject({ is_active: false, revoked_at: expect.any(String) });
		expect((await api.put(`/v1/auth/api-keys/${key.id}`, { is_active: true })).status).toBe(
			400,
		);
	});

	test("PUT is_active: false revokes too", async () => {
		const key = (await api.post("/v1/auth/api-keys", { name: "paused" })).body.data;
		await api.put(`/v1/auth/api-keys/${key.id}`, { is_active: false });

		expect((await client(node.url, key.key).get(`${base}/customers`)).status).toBe(401);
	});

	test("an expiry in the past is refused; an expired key is 401", async () => {
		const past = await api.post("/v1/auth/api-keys", {
			name: "old",
			expires_at: "2020-01-01T00:00:00Z",
		});
		const soon = (
			await api.post("/v1/auth/api-keys", {
				name: "brief",
				expires_at: new Date(Date.now() + 1500).toISOString(),
			})
		).body.data;

		expect(past.status).toBe(400);
		expect((await client(node.url, soon.key).get(`${base}/customers`)).status).toBe(200);
		await new Promise((r) => setTimeout(r, 2000));
		expect((await client(node.url, soon.key).get(`${base}/customers`)).status).toBe(401);
	});

	test("last_used_at is recorded on use", async () => {
		const key = (await api.post("/v1/auth/api-keys", { name: "used" })).body.data;
		expect(key.last_used_at).toBeNull();
		await client(node.url, key.key).get(`${base}/customers`);
		await new Promise((r) => setTimeout(r, 300));

		expect((await api.get(`/v1/auth/api-keys/${key.id}`)).body.data.last_used_at).toEqual(
			expect.any(String),
		);
	});

	test("creation and revocation are recorded as api_key.created and api_key.revoked without the secret", async () => {
		const key = (await api.post("/v1/auth/api-keys", { name: "audited" })).body.data;
		await api.delete(`/v1/auth/api-keys/${key.id}`);

		const events = await api.get(
			`${base}/events?type_in=api_key.created,api_key.revoked&limit=100`,
		);
		const mine = events.body.data.filter(
			(e: { data: { object: { id: string } } }) => e.data.object.id === key.id,
		);

		expect(mine.map((e: { type: string }) => e.type).sort()).toEqual([
			"api_key.created",
			"api_key.revoked",
		]);
		expect(mine[0].actor).toEqual({ type: "user", id: owner.user_id });
		expect(JSON.stringify(mine)).not.toContain(key.key);
		expect(JSON.stringify(mine)).not.toContain("key_hash");
	});
});

/** True when the raw key is written anywhere in the store's files (it must only be hashed). */
function fsContains(secret: string): boolean {
	return fs
		.readdirSync(dataDir)
		.some((f) => fs.readFileSync(`${dataDir}/${f}`, "utf8").includes(secret));
}
