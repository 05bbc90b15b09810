/**
 * Revocation across nodes: two gateway nodes (SERVICES=api) and one data node on the Redis
 * transporter, in a namespace of their own. A key revoked or a session ended through one
 * gateway is refused by the other on its very next request; failed sign-ins are counted in
 * Redis under the namespace; and no node logs a password, key or token.
 */
import crypto from "node:crypto";
import Redis from "ioredis";
import { dataServices } from "../../scripts/node";
import { leaks, OWNER_PASSWORD, randomEmail, signIn } from "../helpers/auth";
import {
	bootstrap,
	client,
	type GatewayNode,
	type Owner,
	REDIS_URL,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { describeWithRedis } from "../helpers/redis";

const namespace = `t-${crypto.randomBytes(6).toString("hex")}`;
const nodes: GatewayNode[] = [];
let a: GatewayNode;
let b: GatewayNode;
let owner: Owner;
let ownerEmail: string;
let base: string;
const secrets: string[] = [OWNER_PASSWORD];

describeWithRedis("identity across two gateway nodes on the Redis transporter", () => {
	beforeAll(async () => {
		const env = {
			TRANSPORTER: REDIS_URL,
			REDIS_URL,
			NAMESPACE: namespace,
			DATA_DIR: tempDir(),
			LOG_LEVEL: "debug",
		};
		nodes.push(
			await startNode({
				...env,
				SERVICES: dataServices().join(","),
				NODE_ID: `${namespace}-data`,
			}),
		);
		ownerEmail = randomEmail("owner");
		owner = bootstrap(env, "Cluster Org", ownerEmail);
		secrets.push(owner.api_key);
		a = await startNode({ ...env, SERVICES: "api", NODE_ID: `${namespace}-a` });
		b = await startNode({ ...env, SERVICES: "api", NODE_ID: `${namespace}-b` });
		nodes.push(a, b);
		base = `/v1/organizations/${owner.organization_id}/customers`;
	}, 120_000);

	afterAll(async () => {
		for (const node of nodes.reverse()) await node.stop();
	});

	test("an API key revoked through one gateway is 401 on the other at once", async () => {
		const key = (
			await client(a.url, owner.api_key).post("/v1/auth/api-keys", { name: "shared" })
		).body.data;
		secrets.push(key.key);
		expect((await client(a.url, key.key).get(base)).status).toBe(200);
		expect((await client(b.url, key.key).get(base)).status).toBe(200);

		const revoked = await client(a.url, owner.api_key).delete(`/v1/auth/api-keys/${key.id}`);

		expect(revoked.status).toBe(200);
		expect((await client(b.url, key.key).get(base)).status).toBe(401);
		expect((await client(a.url, key.key).get(base)).status).toBe(401);
	});

	test("a session signed out on one gateway is 401 on the other at once", async () => {
		const session = await signIn(a.url, ownerEmail, OWNER_PASSWORD);
		secrets.push(session.access_token, session.refresh_token);
		expect((await client(b.url, session.access_token).get(base)).status).toBe(200);

		await client(b.url, session.access_token).delete("/v1/auth/sessions/current");

		expect((await client(a.url, session.access_token).get(base)).status).toBe(401);
	});

	test("failed sign-ins are counted once for the cluster, in Redis under the namespace", async () => {
		const email = randomEmail("nobody");
		for (let i = 0; i < 10; i++) {
			const gateway = i % 2 === 0 ? a : b;
			expect(
				(
					await client(gateway.url).post("/v1/auth/sessions", {
						email,
						password: `guess-${i}`,
					})
				).status,
			).toBe(401);
		}
		const redis = new Redis(REDIS_URL);
		try {
			const [, keys] = await redis.scan(
				"0",
				"MATCH",
				`${namespace}:login-failures:*`,
				"COUNT",
				1000,
			);

			expect(keys.length).toBeGreaterThan(0);
		} finally {
			redis.disconnect();
		}
		expect(
			(await client(b.url).post("/v1/auth/sessions", { email, password: "one more" })).status,
		).toBe(429);
	});

	test("no node logs a password, API key or token", () => {
		const logs = nodes.map((n) => n.logs()).join("\n");

		expect(logs).toContain(namespace);
		expect(leaks(logs, secrets)).toEqual([]);
	});
});
