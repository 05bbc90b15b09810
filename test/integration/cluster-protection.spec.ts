/**
 * Protection across nodes: two gateway nodes and a data node on the Redis transporter, with the
 * Redis cacher and REDIS_URL, as a scaled-out deployment runs. Rate limits are one quota for the
 * whole cluster, idempotency keys are seen by every gateway, and no gateway reads what another
 * one's write made stale.
 */
import crypto from "node:crypto";
import { availableServices } from "../../scripts/node";
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	REDIS_URL,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { describeWithRedis } from "../helpers/redis";

describeWithRedis("two gateway nodes on Redis", () => {
	const cluster = {
		TRANSPORTER: REDIS_URL,
		CACHER: REDIS_URL,
		REDIS_URL,
		NAMESPACE: `t-${crypto.randomBytes(6).toString("hex")}`,
		ANONYMOUS_RATE_LIMIT_PER_HOUR: "12",
	};
	let dataNode: GatewayNode;
	let gatewayA: GatewayNode;
	let gatewayB: GatewayNode;
	let owner: Owner;
	let a: Client;
	let b: Client;
	let base: string;

	beforeAll(async () => {
		const dataDir = tempDir();
		dataNode = await startNode({
			...cluster,
			DATA_DIR: dataDir,
			// Everything but the gateway-side services.
			SERVICES: availableServices()
				.filter((s) => s !== "api" && s !== "io")
				.join(","),
			LOG_LEVEL: "info",
		});
		owner = bootstrap(cluster, "Clustered Trading");
		[gatewayA, gatewayB] = await Promise.all([
			startNode({ ...cluster, SERVICES: "api" }),
			startNode({ ...cluster, SERVICES: "api" }),
		]);
		a = client(gatewayA.url, owner.api_key);
		b = client(gatewayB.url, owner.api_key);
		base = `/v1/organizations/${owner.organization_id}`;
	}, 180_000);

	afterAll(async () => {
		await Promise.all([gatewayA?.stop(), gatewayB?.stop()]);
		await dataNode?.stop();
	});

	test("a key revoked through one gateway is refused at once by the other", async () => {
		const created = await a.post("/v1/auth/api-keys", { name: "revoked across" });
		const viaB = client(gatewayB.url, created.body.data.key);
		expect((await viaB.get(`${base}/customers`)).status).toBe(200);

		await a.delete(`/v1/auth/api-keys/${created.body.data.id}`);

		expect((await viaB.get(`${base}/customers`)).status).toBe(401);
	});

	test("a key's quota is shared: across both gateways no more calls pass than it allows", async () => {
		const created = await a.post("/v1/auth/api-keys", {
			name: "small",
			rate_limit_per_hour: 10,
		});
		const key = created.body.data.key;
		const viaA = client(gatewayA.url, key);
		const viaB = client(gatewayB.url, key);

		const replies = await Promise.all(
			Array.from({ length: 30 }, (_, i) => (i % 2 ? viaA : viaB).get(`${base}/customers`)),
		);

		const passed = replies.filter((r) => r.status === 200);
		expect(passed).toHaveLength(10);
		expect(replies.filter((r) => r.status === 429)).toHaveLength(20);
		for (const res of replies) expect(res.headers.get("x-ratelimit-limit")).toBe("10");
	});

	test("X-Forwarded-For does not split an address's quota, on either gateway", async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 16; i++) {
			const gateway = client(i % 2 ? gatewayA.url : gatewayB.url);
			const res = await gateway.get(`${base}/customers`, {
				"x-forwarded-for": `198.51.100.${i}`,
			});
			statuses.push(res.status);
		}

		// The quota is 12 for the whole cluster (an earlier refusal may have spent one).
		expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(12);
		expect(statuses.slice(12)).toEqual([429, 429, 429, 429]);
	});

	test("a write through one gateway is seen at once through the other", async () => {
		const created = (
			await a.post(`${base}/customers`, { name: "Shared Cache", segment: "smb" })
		).body.data;
		const path = `${base}/customers/${created.id}`;
		const list = `${base}/customers?q=shared%20cache`;
		expect((await b.get(path)).body.data.version).toBe(1);
		expect((await b.get(`${path}?include=contacts`)).body.data.contacts).toEqual([]);
		expect((await b.get(list)).body.data).toHaveLength(1);

		await a.patch(path, { company: "Shared Holdings" });
		await a.post(`${path}/contacts`, { name: "Shared Contact" });
		await a.post(`${base}/customers`, { name: "Shared Cache Two", segment: "smb" });

		expect((await b.get(path)).body.data).toMatchObject({
			version: 2,
			company: "Shared Holdings",
		});
		const embedded = (await b.get(`${path}?include=contacts`)).body.data.contacts;
		expect(embedded.map((c: { name: string }) => c.name)).toEqual(["Shared Contact"]);
		expect((await b.get(list)).body.data).toHaveLength(2);
		await a.delete(path);
		expect((await b.get(path)).status).toBe(404);
	});

	test("an Idempotency-Key used on one gateway replays on the other and is refused for another body", async () => {
		const headers = { "idempotency-key": `cluster-${crypto.randomUUID()}` };
		const body = { name: "Once Only", segment: "smb", external_id: "ONCE-1" };
		const first = await a.post(`${base}/customers`, body, headers);
		const replay = await b.post(`${base}/customers`, body, headers);
		const reuse = await b.post(`${base}/customers`, { ...body, name: "Twice" }, headers);

		expect(first.status).toBe(201);
		expect(replay.status).toBe(201);
		expect(replay.headers.get("idempotent-replayed")).toBe("true");
		expect(replay.body).toEqual(first.body);
		expect(reuse.status).toBe(422);
		expect(reuse.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
	});

	test("concurrent duplicates on both gateways run once; the others are 409 or replays", async () => {
		const headers = { "idempotency-key": `cluster-bulk-${crypto.randomUUID()}` };
		const items = Array.from({ length: 200 }, (_, i) => ({
			name: `Race ${i}`,
			segment: "individual",
		}));
		const replies = await Promise.all(
			Array.from({ length: 4 }, (_, i) =>
				(i % 2 ? a : b).post(`${base}/customers/bulk`, { items }, headers),
			),
		);

		const executed = replies.filter(
			(r) => r.status === 200 && !r.headers.get("idempotent-replayed"),
		);
		expect(executed).toHaveLength(1);
		for (const res of replies.filter((r) => r !== executed[0])) {
			expect([409, 200]).toContain(res.status);
			if (res.status === 200) expect(res.headers.get("idempotent-replayed")).toBe("true");
		}
		expect(replies.some((r) => r.status === 409)).toBe(true);
		const count = await a.get(`${base}/customers?segment=individual&limit=1`);
		expect(count.body.pagination.total).toBe(200);
	});
});
