/**
 * The socket bridge across nodes: two gateway nodes (api, io) and one data node on the Redis
 * transporter, each socket connected to one gateway, writes made through either gateway.
 */
import { randomUUID } from "node:crypto";
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
import {
	connected,
	eventLog,
	Inbox,
	request,
	sleep,
	type Socket,
	socketTo,
} from "../helpers/sockets";
import { availableServices } from "../../scripts/node";

describe("socket service placement", () => {
	test("the io service refuses to start on a node without the api service", async () => {
		const start = startNode(
			{ DATA_DIR: tempDir(), SERVICES: "io", LOG_LEVEL: "info" },
			{ waitReady: false },
		);

		await expect(start).rejects.toThrow(/SERVICES runs io without api/);
	});
});

describeWithRedis("socket bridge on the Redis transporter", () => {
	const nodes: GatewayNode[] = [];
	const sockets: Socket[] = [];
	let gateways: GatewayNode[];
	let acme: Owner;
	let globex: Owner;

	beforeAll(async () => {
		const dataDir = tempDir();
		acme = bootstrap({ DATA_DIR: dataDir }, "Acme Cluster");
		globex = bootstrap({ DATA_DIR: dataDir }, "Globex Cluster");
		const cluster = { TRANSPORTER: REDIS_URL, NAMESPACE: `t-${randomUUID().slice(0, 8)}` };
		const data = availableServices().filter((s) => s !== "api" && s !== "io");
		nodes.push(
			await startNode(
				{ ...cluster, DATA_DIR: dataDir, SERVICES: data.join(","), LOG_LEVEL: "info" },
				{ waitReady: false },
			),
		);
		gateways = await Promise.all(
			[1, 2].map(() => startNode({ ...cluster, DATA_DIR: tempDir(), SERVICES: "api,io" })),
		);
		nodes.push(...gateways);
	}, 180_000);

	afterAll(async () => {
		for (const socket of sockets) socket.close();
		await Promise.all(nodes.map((n) => n.stop()));
	});

	async function subscriber(gateway: GatewayNode, owner: Owner): Promise<Inbox> {
		const socket = socketTo(gateway.url, { token: owner.api_key });
		sockets.push(socket);
		const inbox = new Inbox(socket);
		await connected(socket);
		await request(socket, "subscribe", { types: ["*"] });

		return inbox;
	}

	test("each event reaches each subscribed socket exactly once, on either gateway, and only its organization's", async () => {
		const acmeInboxes = [
			...(await Promise.all([0, 0, 1, 1].map((g) => subscriber(gateways[g], acme)))),
		];
		const globexInboxes = await Promise.all([0, 1].map((g) => subscriber(gateways[g], globex)));
		const since = new Date(Date.now() - 1).toISOString();
		await sleep(50);

		for (let i = 0; i < 20; i++) {
			const [owner, gateway] =
				i % 3 === 2 ? [globex, gateways[i % 2]] : [acme, gateways[i % 2]];
			const api = client(gateway.url, owner.api_key);
			const res = await api.post(`/v1/organizations/${owner.organization_id}/customers`, {
				name: `Cluster ${i}`,
				segment: "smb",
			});
			expect(res.status).toBe(201);
		}
		await sleep(1_500);

		for (const [owner, inboxes] of [
			[acme, acmeInboxes],
			[globex, globexInboxes],
		] as const) {
			const api = client(gateways[0].url, owner.api_key);
			const log = (await eventLog(api, owner.organization_id, since)).map((e) => e.id);
			expect(log.length).toBeGreaterThan(0);
			for (const inbox of inboxes) expect(inbox.ids()).toEqual(log);
		}
	}, 60_000);
});
