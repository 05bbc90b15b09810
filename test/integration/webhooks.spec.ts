/**
 * Webhooks end to end on one gateway process (NeDB, in-process channels): endpoint management,
 * signed deliveries checked by a real receiver, the retry schedule, the dead state, status-code
 * rules, rotation, redeliver and recover. Delivery to 127.0.0.1 needs WEBHOOK_ALLOW_PRIVATE.
 */
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { type Received, type Receiver, startReceiver } from "../helpers/receiver";

let owner: Owner;
let other: Owner;
let node: GatewayNode;
let api: Client;
let otherApi: Client;
let base: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
	const dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Acme Hooks");
	other = bootstrap({ DATA_DIR: dataDir }, "Other Hooks");
	node = await startNode({ DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: "true" });
	api = client(node.url, owner.api_key);
	otherApi = client(node.url, other.api_key);
	base = `/v1/organizations/${owner.organization_id}`;
});

afterAll(async () => {
	await Promise.all(receivers.map((r) => r.close()));
	await node?.stop();
});

/** A receiver and an endpoint pointing at it (with its secret registered for verification). */
async function endpointWithReceiver(body: Record<string, unknown> = {}) {
	const receiver = await startReceiver();
	receivers.push(receiver);
	const res = await api.post(`${base}/webhooks`, {
		url: receiver.url,
		events: ["customer.*"],
		...body,
	});
	expect(res.status).toBe(201);
	receiver.secrets = [res.body.data.secret];

	return { receiver, endpoint: res.body.data };
}

/**
 * Endpoints subscribe to `customer.*`: each test
 * removes its own so later tests' events stay theirs.
 */
async function remove(endpoint: { id: string }) {
	await api.delete(`${base}/webhooks/${endpoint.id}`);
}

async function newCustomer(name = `Customer ${Math.random().toString(36).slice(2, 8)}`) {
	const res = await api.post(`${base}/customers`, { name, segment: "smb" });
	expect(res.status).toBe(201);

	return res.body.data;
}

async function deliveryOf(endpointId: string, eventId: string) {
	const res = await api.get(`${base}/webhooks/${endpointId}/deliveries?event_id=${eventId}`);
	expect(res.status).toBe(200);

	return res.body.data[0];
}

async function waitForDelivery(
	endpointId: string,
	eventId: string,
	done: (d: Record<string, unknown>) => boolean,
	timeoutMs = 30_000,
) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const delivery = await deliveryOf(endpointId, eventId);
		if (delivery && done(delivery)) return delivery;
		if (Date.now() > deadline)
			throw new Error(`delivery ${eventId} never matched: ${JSON.stringify(delivery)}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

function fullyVerified(r: Received, secret: string) {
	expect(r.standardOk).toContain(secret);
	expect(r.mantisOk).toBe(secret);
}

describe("webhook endpoints", () => {
	test("create shows a generated whsec_ secret once, with default retry settings", async () => {
		const { endpoint } = await endpointWithReceiver();

		expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
		expect(Buffer.from(endpoint.secret.slice(6), "base64")).toHaveLength(32);
		expect(endpoint).toMatchObject({
			is_active: true,
			events: ["customer.*"],
			retry_config: { max_retries: 8, retry_delay: 5000, backoff_multiplier: 5 },
		});
		const read = await api.get(`${base}/webhooks/${endpoint.id}`);
		expect(read.status).toBe(200);
		expect(read.body.data).not.toHaveProperty("secret");
		expect(JSON.stringify(read.body)).not.toContain(endpoint.secret);
		const listed = await api.get(`${base}/webhooks`);
		expect(JSON.stringify(listed.body)).not.toContain(endpoint.secret);
		const events = await api.get(`${base}/events?type=webhook.created`);
		expect(JSON.stringify(events.body)).not.toContain(endpoint.secret);
		await remove(endpoint);
	});

	test("unknown event names, retry settings out of bounds and bad URLs are refused with 400", async () => {
		const cases = [
			[{ url: "http://127.0.0.1:9/x", events: ["customer.exploded"] }, "events[0]"],
			[{ url: "http://127.0.0.1:9/x", events: ["nothing.*"] }, "events[0]"],
			[{ url: "http://127.0.0.1:9/x", events: [] }, "events"],
			[
				{ url: "http://127.0.0.1:9/x", events: ["*"], retry_config: { max_retries: 21 } },
				"retry_config.max_retries",
			],
			[
				{ url: "http://127.0.0.1:9/x", events: ["*"], retry_config: { backoff: 2 } },
				"retry_config.backoff",
			],
			[{ url: "ftp://127.0.0.1/x", events: ["*"] }, "url"],
			[{ url: "not a url", events: ["*"] }, "url"],
			[{ url: "http://user:pw@127.0.0.1/x", events: ["*"] }, "url"],
			[
				{ url: "http://127.0.0.1/x", events: ["*"], secret: "whsec_not*base64*at*all!!" },
				"secret",
			],
		] as const;
		for (const [body, field] of cases) {
			const res = await api.post(`${base}/webhooks`, body);
			expect(res.status).toBe(400);
			expect(res.body.error.code).toBe("VALIDATION_ERROR");
			expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
		}
	});

	test("another organization's webhook and its deliveries are 404", async () => {
		const { endpoint } = await endpointWithReceiver({ events: ["order.*"] });

		expect((await otherApi.get(`${base}/webhooks/${endpoint.id}`)).status).toBe(404);
		const otherBase = `/v1/organizations/${other.organization_id}`;
		expect((await otherApi.get(`${otherBase}/webhooks/${endpoint.id}`)).status).toBe(404);
		expect((await otherApi.get(`${otherBase}/webhooks/${endpoint.id}/deliveries`)).status).toBe(
			404,
		);
		await remove(endpoint);
	});
});

describe("signed delivery", () => {
	test("every delivery verifies with standardwebhooks and by HMAC over the raw bytes, emoji, ₹ and U+2028 included", async () => {
		const { receiver, endpoint } = await endpointWithReceiver();
		const name = "Zoë 🦊 Traders ₹ 1,299\u2028Mumbai";

		const customer = await newCustomer(name);
		await receiver.waitFor("the customer.created delivery", (r) => r.length >= 1);
		const [got] = receiver.received;

		fullyVerified(got, endpoint.secret);
		expect(got.raw.includes(Buffer.from("\u2028", "utf8"))).toBe(true);
		expect(got.body.data.object).toMatchObject({ id: customer.id, name });
		expect(got.headers).toMatchObject({
			"content-type": "application/json",
			"user-agent": "MantisNXT-Webhook/1.0",
			"x-mantis-event": "customer.created",
			"webhook-id": got.body.id,
		});
		expect(got.body.id).toMatch(/^evt_/);
		const logged = await api.get(`${base}/events/${got.body.id}`);
		expect(got.body).toEqual({
			id: logged.body.data.id,
			type: "customer.created",
			organization_id: owner.organization_id,
			created_at: logged.body.data.created_at,
			request_id: logged.body.data.request_id,
			actor: logged.body.data.actor,
			data: logged.body.data.data,
		});
		const delivery = await waitForDelivery(
			endpoint.id,
			got.body.id,
			(d) => d.status === "succeeded",
		);
		expect(got.headers["x-mantis-delivery"]).toBe(delivery.id);
		await remove(endpoint);
	});

	test("a given secret in another form signs with its UTF-8 bytes in both schemes", async () => {
		const secret = "webhook_secret_key_ünïcode";
		const { receiver, endpoint } = await endpointWithReceiver({ secret });
		expect(endpoint.secret).toBe(secret);

		await newCustomer();
		await receiver.waitFor("a delivery", (r) => r.length >= 1);

		fullyVerified(receiver.received[0], secret);
		await remove(endpoint);
	});

	test("test sends webhook.test and answers the status code and latency, never the receiver's body", async () => {
		const { receiver, endpoint } = await endpointWithReceiver();
		receiver.answer = () => ({ status: 202, body: "SECRET-RECEIVER-BODY" });

		const res = await api.post(`${base}/webhooks/${endpoint.id}/test`);

		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({ success: true, status_code: 202, error: null });
		expect(typeof res.body.data.latency_ms).toBe("number");
		expect(JSON.stringify(res.body)).not.toContain("SECRET-RECEIVER-BODY");
		expect(receiver.received).toHaveLength(1);
		const [got] = receiver.received;
		fullyVerified(got, endpoint.secret);
		expect(got.body).toMatchObject({
			type: "webhook.test",
			data: { object: { id: endpoint.id } },
		});
		expect(JSON.stringify(got.body)).not.toContain(endpoint.secret);
		const log = await api.get(`${base}/webhooks/${endpoint.id}/deliveries`);
		expect(JSON.stringify(log.body)).not.toContain("SECRET-RECEIVER-BODY");
		await remove(endpoint);
	});

	test("after a rotation both secrets sign for the overlap, X-Mantis-Signature with the new one", async () => {
		const { receiver, endpoint } = await endpointWithReceiver();

		const rotated = await api.post(`${base}/webhooks/${endpoint.id}/rotate-secret`);
		expect(rotated.status).toBe(200);
		const fresh = rotated.body.data.secret;
		expect(fresh).toMatch(/^whsec_/);
		expect(fresh).not.toBe(endpoint.secret);
		const overlap = Date.parse(rotated.body.data.previous_secret_expires_at) - Date.now();
		expect(overlap).toBeGreaterThan(23.9 * 3600 * 1000);
		expect((await api.get(`${base}/webhooks/${endpoint.id}`)).body.data).not.toHaveProperty(
			"secret",
		);

		receiver.secrets = [fresh, endpoint.secret];
		await newCustomer();
		await receiver.waitFor("a delivery", (r) => r.length >= 1);
		const [got] = receiver.received;

		expect(got.standardOk.sort()).toEqual([endpoint.secret, fresh].sort());
		expect((got.headers["webhook-signature"] as string).split(" ")).toHaveLength(2);
		expect(got.mantisOk).toBe(fresh);
		await remove(endpoint);
	});
});

describe("retries and status codes", () => {
	test("failures are retried on the endpoint's schedule, then the delivery is dead and visible", async () => {
		const { receiver, endpoint } = await endpointWithReceiver({
			retry_config: { max_retries: 3, retry_delay: 400, backoff_multiplier: 2 },
		});
		receiver.answer = () => ({ status: 500, body: "RECEIVER-STACK-TRACE" });

		await newCustomer();
		await receiver.waitFor("4 attempts", (r) => r.length >= 4);
		const eventId = receiver.received[0].body.id;
		const dead = await waitForDelivery(endpoint.id, eventId, (d) => d.status === "dead");

		const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i].at);
		[400, 800, 1600].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay * 0.9));
		expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).toEqual(
			new Set([eventId]),
		);
		receiver.received.forEach((r) => fullyVerified(r, endpoint.secret));
		expect(dead).toMatchObject({ attempts: 4, last_status_code: 500 });
		expect(dead.dead_reason).toContain("4 attempts");
		expect(JSON.stringify(dead)).not.toContain("RECEIVER-STACK-TRACE");
		const deadList = await api.get(`${base}/webhooks/${endpoint.id}/deliveries?status=dead`);
		expect(deadList.body.data.map((d: { id: string }) => d.id)).toContain(dead.id);
		await new Promise((r) => setTimeout(r, 2000));
		expect(receiver.received).toHaveLength(4);
		await remove(endpoint);
	});

	test("429 with Retry-After is honoured even when the schedule says sooner", async () => {
		const { receiver, endpoint } = await endpointWithReceiver({
			retry_config: { max_retries: 2, retry_delay: 100, backoff_multiplier: 1 },
		});
		receiver.answer = (r) =>
			r.n === 1 ? { status: 429, headers: { "retry-after": "2" } } : { status: 200 };

		await newCustomer();
		await receiver.waitFor("the retry", (r) => r.length >= 2);

		expect(receiver.received[1].at - receiver.received[0].at).toBeGreaterThanOrEqual(2000);
		expect(receiver.received[1].headers["webhook-id"]).toBe(
			receiver.received[0].headers["webhook-id"],
		);
		await remove(endpoint);
	});

	test("410 Gone disables the endpoint and records webhook.disabled", async () => {
		const { receiver, endpoint } = await endpointWithReceiver();
		receiver.answer = () => ({ status: 410 });

		await newCustomer();
		await receiver.waitFor("the delivery", (r) => r.length >= 1);
		const delivery = await waitForDelivery(
			endpoint.id,
			receiver.received[0].body.id,
			(d) => d.status === "dead",
		);

		expect(delivery.dead_reason).toContain("410");
		const read = (await api.get(`${base}/webhooks/${endpoint.id}`)).body.data;
		expect(read).toMatchObject({ is_active: false });
		expect(read.disabled_reason).toContain("410");
		const events = await api.get(`${base}/events?type=webhook.disabled`);
		expect(
			events.body.data.map((e: { data: { object: { id: string } } }) => e.data.object.id),
		).toContain(endpoint.id);
		await newCustomer();
		await new Promise((r) => setTimeout(r, 1500));
		expect(receiver.received).toHaveLength(1);
		await remove(endpoint);
	});

	test("a redirect is a failure and is never followed", async () => {
		const { receiver, endpoint } = await endpointWithReceiver({
			retry_config: { max_retries: 0 },
		});
		receiver.answer = () => ({
			status: 302,
			headers: { location: `${receiver.url}/elsewhere` },
		});

		await newCustomer();
		await receiver.waitFor("the delivery", (r) => r.length >= 1);
		const delivery = await waitForDelivery(
			endpoint.id,
			receiver.received[0].body.id,
			(d) => d.status === "dead",
		);

		expect(delivery.last_status_code).toBe(302);
		await new Promise((r) => setTimeout(r, 500));
		expect(receiver.received).toHaveLength(1);
		await remove(endpoint);
	});
});

describe("redeliver and recover", () => {
	test("redeliver sends a dead delivery again with the same webhook-id", async () => {
		const { receiver, endpoint } = await endpointWithReceiver({
			retry_config: { max_retries: 0 },
		});
		receiver.answer = () => ({ status: 500 });
		await newCustomer();
		await receiver.waitFor("the first attempt", (r) => r.length >= 1);
		const eventId = receiver.received[0].body.id;
		const dead = await waitForDelivery(endpoint.id, eventId, (d) => d.status === "dead");

		receiver.answer = () => ({ status: 200 });
		const res = await api.post(
			`${base}/webhooks/${endpoint.id}/deliveries/${dead.id}/redeliver`,
		);
		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({ id: dead.id, status: "pending", dead_reason: null });
		await receiver.waitFor("the redelivery", (r) => r.length >= 2);
		const done = await waitForDelivery(endpoint.id, eventId, (d) => d.status === "succeeded");

		expect(receiver.received[1].headers["webhook-id"]).toBe(eventId);
		expect(receiver.received[1].headers["x-mantis-delivery"]).toBe(dead.id);
		fullyVerified(receiver.received[1], endpoint.secret);
		expect(done.attempts).toBe(2);
		await remove(endpoint);
	});

	test("redeliver of a delivery still waiting for its first attempt is 409", async () => {
		const { receiver, endpoint } = await endpointWithReceiver();
		receiver.answer = () => ({ status: 200, hold: true });
		await newCustomer();
		await receiver.waitFor("the held attempt", (r) => r.length >= 1);
		const pending = await deliveryOf(endpoint.id, receiver.received[0].body.id);
		expect(pending.status).toBe("pending");

		const res = await api.post(
			`${base}/webhooks/${endpoint.id}/deliveries/${pending.id}/redeliver`,
		);

		expect(res.status).toBe(409);
		expect(res.body.error.code).toBe("INVALID_STATE_TRANSITION");
		await remove(endpoint);
	});

	test("recover sends again every failed or dead delivery since the given time", async () => {
		const { receiver, endpoint } = await endpointWithReceiver({
			retry_config: { max_retries: 0 },
		});
		receiver.answer = () => ({ status: 503 });
		const since = new Date().toISOString();
		for (let i = 0; i < 3; i++) await newCustomer();
		await receiver.waitFor("3 failed attempts", (r) => r.length >= 3);
		const eventIds = [...new Set(receiver.received.map((r) => r.body.id as string))];
		for (const id of eventIds)
			await waitForDelivery(endpoint.id, id, (d) => d.status === "dead");

		receiver.answer = () => ({ status: 204 });
		const res = await api.post(`${base}/webhooks/${endpoint.id}/recover`, { since });
		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({ recovered: 3, webhook_id: endpoint.id });
		await receiver.waitFor("3 recovered deliveries", (r) => r.length >= 6);
		for (const id of eventIds)
			await waitForDelivery(endpoint.id, id, (d) => d.status === "succeeded");

		const resent = receiver.received.slice(3).map((r) => r.headers["webhook-id"]);
		expect(new Set(resent)).toEqual(new Set(eventIds));
		const bad = await api.post(`${base}/webhooks/${endpoint.id}/recover`, {
			since: "yesterday",
		});
		expect(bad.status).toBe(400);
		await remove(endpoint);
	});
});
