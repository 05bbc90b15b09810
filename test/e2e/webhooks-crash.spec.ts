/**
 * An accepted delivery is never lost (contract): the delivering process is killed with SIGKILL
 * between attempts and in the middle of a POST, restarted on the same DATA_DIR, and every event
 * still reaches the receiver, with the same `webhook-id` on every attempt.
 */
import {
	bootstrap,
	client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { type Received, type Receiver, startReceiver } from "../helpers/receiver";

const EVENTS = 20;

let dataDir: string;
let owner: Owner;
let node: GatewayNode | undefined;
let receiver: Receiver;

beforeEach(async () => {
	dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Crashing Org");
	receiver = await startReceiver();
	node = await startNode({ DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: "true" });
});

afterEach(async () => {
	await node?.stop();
	await receiver.close();
});

const base = () => `/v1/organizations/${owner.organization_id}`;

async function setUp(retryDelay: number): Promise<string[]> {
	const api = client((node as GatewayNode).url, owner.api_key);
	const endpoint = await api.post(`${base()}/webhooks`, {
		url: receiver.url,
		events: ["customer.created"],
		retry_config: { max_retries: 5, retry_delay: retryDelay, backoff_multiplier: 1 },
	});
	expect(endpoint.status).toBe(201);
	receiver.secrets = [endpoint.body.data.secret];
	const items = Array.from({ length: EVENTS }, (_, i) => ({
		name: `Crash ${i}`,
		segment: "smb",
	}));
	const bulk = await api.post(`${base()}/customers/bulk`, { items });
	expect(bulk.body.data.succeeded).toBe(EVENTS);
	const events = await api.get(`${base()}/events?type=customer.created&limit=${EVENTS}`);

	return events.body.data.map((e: { id: string }) => e.id);
}

function firstOf(received: Received[], r: Received): boolean {
	return received.find((x) => x.body?.id === r.body?.id) === r;
}

/** Every event answered 2xx at least once, every attempt verified and carrying its event's id. */
function expectAllDelivered(eventIds: string[], okStatus: (r: Received) => boolean) {
	for (const r of receiver.received) {
		expect(r.standardOk).toHaveLength(1);
		expect(r.mantisOk).toBeDefined();
		expect(r.headers["webhook-id"]).toBe(r.body.id);
	}
	const delivered = new Set(receiver.received.filter(okStatus).map((r) => r.body.id));
	expect([...delivered].sort()).toEqual([...eventIds].sort());
	for (const id of eventIds) {
		const attempts = receiver.received.filter((r) => r.body.id === id);
		expect(new Set(attempts.map((r) => r.headers["x-mantis-delivery"])).size).toBe(1);
	}
}

test("a SIGKILL between attempts loses no delivery: retries resume after the restart", async () => {
	receiver.answer = (r) => (firstOf(receiver.received, r) ? { status: 500 } : { status: 200 });
	const eventIds = await setUp(3000);
	await receiver.waitFor(`${EVENTS} failed first attempts`, (all) => all.length >= EVENTS);

	await (node as GatewayNode).kill("SIGKILL");
	const seenBeforeRestart = receiver.received.length;
	node = await startNode({ DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: "true" });
	await receiver.waitFor(
		"every retry after the restart",
		(all) => new Set(all.filter((r) => !firstOf(all, r)).map((r) => r.body.id)).size >= EVENTS,
		60_000,
	);

	expect(seenBeforeRestart).toBe(EVENTS);
	expectAllDelivered(eventIds, (r) => !firstOf(receiver.received, r));
	await expectAllSucceeded();
}, 120_000);

test("a SIGKILL during a POST loses no delivery: it is sent again with the same webhook-id", async () => {
	const held = new Set<number>();
	let holding = true;
	receiver.answer = (r) => {
		if (!holding) return { status: 200 };
		held.add(r.n);

		return { status: 200, hold: true };
	};
	const eventIds = await setUp(1000);
	await receiver.waitFor("attempts the receiver holds", (all) => all.length >= 5);

	holding = false;
	await (node as GatewayNode).kill("SIGKILL");
	expect(held.size).toBeGreaterThanOrEqual(5);
	node = await startNode({ DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: "true" });
	await receiver.waitFor(
		"every event answered",
		(all) => new Set(all.filter((r) => !held.has(r.n)).map((r) => r.body.id)).size >= EVENTS,
		90_000,
	);

	expectAllDelivered(eventIds, (r) => !held.has(r.n));
	await expectAllSucceeded();
}, 150_000);

/** The deliveries log ends with every delivery succeeded. */
async function expectAllSucceeded() {
	const api = client((node as GatewayNode).url, owner.api_key);
	const endpoint = (await api.get(`${base()}/webhooks`)).body.data[0];
	const deadline = Date.now() + 10_000;
	let statuses: string[] = [];
	while (Date.now() < deadline) {
		const log = await api.get(`${base()}/webhooks/${endpoint.id}/deliveries?limit=100`);
		statuses = log.body.data.map((d: { status: string }) => d.status);
		if (statuses.length === EVENTS && statuses.every((s) => s === "succeeded")) return;
		await new Promise((r) => setTimeout(r, 200));
	}
	expect(statuses).toEqual(Array(EVENTS).fill("succeeded"));
}
