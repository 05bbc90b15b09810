/**
 * Protection on the embedded default (no Redis): rate limits and their headers, limits on what
 * a client may send, idempotency keys kept in the store, and reads that never go stale.
 */
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	type Reply,
	startNode,
	tempDir,
} from "../helpers/gateway";

let owner: Owner;
let node: GatewayNode;
let api: Client;
let base: string;

/** An API key of the owner's organization with its own small hourly limit. */
async function keyWithLimit(limit: number): Promise<string> {
	const res = await api.post("/v1/auth/api-keys", {
		name: `limited ${limit}`,
		rate_limit_per_hour: limit,
	});
	expect(res.status).toBe(201);

	return res.body.data.key;
}

function expectRateLimitHeaders(res: Reply, limit?: number): void {
	expect(Number(res.headers.get("x-ratelimit-limit"))).toBeGreaterThan(0);
	if (limit !== undefined) expect(res.headers.get("x-ratelimit-limit")).toBe(String(limit));
	expect(res.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
	expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
	expect(res.headers.get("ratelimit-policy")).toMatch(/^"hourly";q=\d+;w=3600$/);
	expect(res.headers.get("ratelimit")).toMatch(/^"hourly";r=\d+;t=\d+$/);
}

beforeAll(async () => {
	const dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Protected Trading");
	node = await startNode({
		DATA_DIR: dataDir,
		ANONYMOUS_RATE_LIMIT_PER_HOUR: "40",
		MAX_BODY_BYTES: "4096",
		BULK_MAX_ITEMS: "300",
	});
	api = client(node.url, owner.api_key);
	base = `/v1/organizations/${owner.organization_id}`;
});

afterAll(async () => {
	await node?.stop();
});

describe("rate limits", () => {
	test("every /v1 response carries the rate-limit fields, errors included", async () => {
		const anonymous = client(node.url);
		const replies = await Promise.all([
			api.get(`${base}/customers`),
			api.post(`${base}/customers`, { name: "" }),
			api.get(`${base}/customers/no-such-id`),
			api.delete(`${base}/customers`),
			api.get("/v1/no/such/route"),
			api.request("POST", `${base}/customers`, "{not json", {
				"content-type": "application/json",
			}),
			api.request("POST", `${base}/customers`, "name=x", {
				"content-type": "application/x-www-form-urlencoded",
			}),
			anonymous.get(`${base}/customers`),
			client(node.url, "mnx_not-a-real-key").get(`${base}/customers`),
		]);

		expect(replies.map((r) => r.status)).toEqual([200, 400, 404, 405, 404, 400, 415, 401, 401]);
		for (const res of replies) expectRateLimitHeaders(res);
		// A valid credential counts against its own quota (pro plan).
		expect(replies[0].headers.get("x-ratelimit-limit")).toBe("10000");
	});

	test("a key's own rate_limit_per_hour overrides the plan, then 429 with Retry-After", async () => {
		const limited = client(node.url, await keyWithLimit(3));
		const replies: Reply[] = [];
		for (let i = 0; i < 5; i++) replies.push(await limited.get(`${base}/customers`));

		expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
		expect(replies.map((r) => r.headers.get("x-ratelimit-remaining"))).toEqual([
			"2",
			"1",
			"0",
			"0",
			"0",
		]);
		const refused = replies[3];
		expectRateLimitHeaders(refused, 3);
		const retryAfter = Number(refused.headers.get("retry-after"));
		expect(retryAfter).toBeGreaterThan(0);
		expect(refused.body.error.code).toBe("RATE_LIMITED");
		expect(refused.body.error.details).toContainEqual(
			expect.objectContaining({ field: "retry_after", value: retryAfter }),
		);
	});

	test("bulk calls cost more than one unit", async () => {
		const limited = client(node.url, await keyWithLimit(100));
		const first = await limited.get(`${base}/customers`);
		const bulk = await limited.post(`${base}/customers/bulk`, {
			items: [{ name: "Bulk one", segment: "smb" }],
		});
		const search = await limited.get(`${base}/customers?q=bulk`);

		expect(first.headers.get("x-ratelimit-remaining")).toBe("99");
		expect(bulk.headers.get("x-ratelimit-remaining")).toBe("89");
		expect(search.headers.get("x-ratelimit-remaining")).toBe("84");
	});
});

describe("limits on what a client may send", () => {
	test("a body over MAX_BODY_BYTES is 413, while a bulk route takes more", async () => {
		const big = { name: "Big", segment: "smb", metadata: { note: "x".repeat(5000) } };
		const one = await api.post(`${base}/customers`, big);
		const items = Array.from({ length: 40 }, (_, i) => ({ name: `Item ${i}`, segment: "smb" }));
		const bulk = await api.post(`${base}/customers/bulk`, { items });

		expect(one.status).toBe(413);
		expect(one.body.error.code).toBe("PAYLOAD_TOO_LARGE");
		expect(bulk.status).toBe(200);
		expect(bulk.body.data.succeeded).toBe(40);
	});

	test("a bulk request over BULK_MAX_ITEMS is refused whole", async () => {
		const items = Array.from({ length: 301 }, (_, i) => ({
			name: `Over ${i}`,
			segment: "smb",
		}));
		const res = await api.post(`${base}/customers/bulk`, { items });

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].field).toBe("items");
	});
});

describe("Idempotency-Key", () => {
	test("the same key and body replays the first answer without a second write", async () => {
		const body = { name: "Idempotent Ltd", segment: "smb", external_id: "IDEM-1" };
		const headers = { "idempotency-key": "create-idem-1" };
		const first = await api.post(`${base}/customers`, body, headers);
		const again = await api.post(`${base}/customers`, body, headers);

		expect(first.status).toBe(201);
		expect(first.headers.get("idempotent-replayed")).toBeNull();
		expect(again.status).toBe(201);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(again.body).toEqual(first.body);
		expect(again.headers.get("location")).toBe(first.headers.get("location"));
		const list = await api.get(`${base}/customers?external_id=IDEM-1`);
		expect(list.body.data).toHaveLength(1);
	});

	test("the same key with another body is 422 IDEMPOTENCY_KEY_REUSED", async () => {
		const headers = { "idempotency-key": "create-idem-2" };
		await api.post(`${base}/customers`, { name: "First body", segment: "smb" }, headers);
		const other = await api.post(
			`${base}/customers`,
			{ name: "Other body", segment: "smb" },
			headers,
		);

		expect(other.status).toBe(422);
		expect(other.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
	});

	test("a duplicate sent while the first still runs is 409, and only one write happens", async () => {
		const items = Array.from({ length: 300 }, (_, i) => ({
			name: `Concurrent ${i}`,
			segment: "startup",
			external_id: `CONC-${i}`,
		}));
		const headers = { "idempotency-key": "bulk-concurrent" };
		const replies = await Promise.all(
			Array.from({ length: 4 }, () => api.post(`${base}/customers/bulk`, { items }, headers)),
		);

		const executed = replies.filter(
			(r) => r.status === 200 && !r.headers.get("idempotent-replayed"),
		);
		const conflicts = replies.filter((r) => r.status === 409);
		expect(executed).toHaveLength(1);
		expect(executed[0].body.data.succeeded).toBe(300);
		expect(conflicts.length).toBeGreaterThan(0);
		expect(conflicts[0].body.error.code).toBe("CONFLICT");
		const count = await api.get(
			`${base}/customers?segment=startup&external_id_in=CONC-0,CONC-299`,
		);
		expect(count.body.pagination.total).toBe(2);
	});

	test("a key is the caller's own: another key's identical request runs anew", async () => {
		const other = client(node.url, await keyWithLimit(50));
		const body = { name: "Scoped key", segment: "smb" };
		const headers = { "idempotency-key": "shared-name" };
		const mine = await api.post(`${base}/customers`, body, headers);
		const theirs = await other.post(`${base}/customers`, body, headers);

		expect(theirs.status).toBe(201);
		expect(theirs.headers.get("idempotent-replayed")).toBeNull();
		expect(theirs.body.data.id).not.toBe(mine.body.data.id);
	});

	test("a failed request frees its key for a corrected retry", async () => {
		const headers = { "idempotency-key": "fails-first" };
		const bad = await api.post(`${base}/customers`, { name: "", segment: "smb" }, headers);
		const retry = await api.post(`${base}/customers`, { name: "", segment: "smb" }, headers);

		expect(bad.status).toBe(400);
		expect(retry.status).toBe(400);
		expect(retry.headers.get("idempotent-replayed")).toBeNull();
	});
});

describe("credentials seen before", () => {
	test("a revoked key is refused on the very next request", async () => {
		const created = await api.post("/v1/auth/api-keys", { name: "to revoke" });
		const key = client(node.url, created.body.data.key);
		expect((await key.get(`${base}/customers`)).status).toBe(200);
		expect((await key.get(`${base}/customers`)).status).toBe(200);

		await api.delete(`/v1/auth/api-keys/${created.body.data.id}`);

		expect((await key.get(`${base}/customers`)).status).toBe(401);
	});

	test("a key's new rate limit applies on the very next request", async () => {
		const created = await api.post("/v1/auth/api-keys", { name: "to slow down" });
		const key = client(node.url, created.body.data.key);
		expect((await key.get(`${base}/customers`)).headers.get("x-ratelimit-limit")).toBe("10000");

		await api.patch(`/v1/auth/api-keys/${created.body.data.id}`, { rate_limit_per_hour: 7 });

		expect((await key.get(`${base}/customers`)).headers.get("x-ratelimit-limit")).toBe("7");
	});
});

describe("cached reads", () => {
	test("a read after a write sees the write, for the resource, lists and embedded relations", async () => {
		const created = (await api.post(`${base}/customers`, { name: "Cached Co", segment: "smb" }))
			.body.data;
		const path = `${base}/customers/${created.id}`;
		await api.get(path);
		await api.get(`${path}?include=contacts`);
		await api.get(`${base}/customers?q=cached`);

		await api.patch(path, { company: "Cached Holdings" });
		await api.post(`${path}/contacts`, { name: "Cache Contact" });

		expect((await api.get(path)).body.data).toMatchObject({
			company: "Cached Holdings",
			version: 2,
		});
		const embedded = (await api.get(`${path}?include=contacts`)).body.data;
		expect(embedded.contacts.map((c: { name: string }) => c.name)).toEqual(["Cache Contact"]);
		const listed = (await api.get(`${base}/customers?q=cached`)).body.data;
		expect(listed[0].company).toBe("Cached Holdings");
	});
});

// Last: it spends the whole quota of this machine's address.
describe("requests without a valid credential", () => {
	test("a spoofed X-Forwarded-For does not give a client a fresh quota", async () => {
		const anonymous = client(node.url);
		const statuses: number[] = [];
		for (let i = 0; i < 45; i++) {
			const res = await anonymous.get(`${base}/customers`, {
				"x-forwarded-for": `203.0.113.${i}`,
			});
			statuses.push(res.status);
		}

		// Earlier tests spent some of this address's 40; after that every call is refused.
		expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(40);
		expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
		// A key's quota is its own, whatever address it comes from.
		const keyed = await api.get(`${base}/customers`, { "x-forwarded-for": "203.0.113.250" });
		expect(keyed.status).toBe(200);
	});
});
