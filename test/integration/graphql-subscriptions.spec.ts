/**
 * GraphQL subscriptions over the graphql-ws protocol at `/graphql`, with a real graphql-ws
 * client on the `ws` package: authentication at connection, delivery of domain events,
 * isolation between organizations, sockets closed when their credential is revoked or signed
 * out, the per-socket operation cap, the same limits and scopes as HTTP, and other WebSocket
 * upgrades on the same port left alone (socket.io shares it).
 */
import crypto from "node:crypto";
import net from "node:net";
import type { Client as WsClient } from "graphql-ws";
import { OWNER_PASSWORD, signIn } from "../helpers/auth";
import { type GatewayNode, type Owner } from "../helpers/gateway";
import { connected, Inbox, request, socketTo } from "../helpers/sockets";
import {
	type GraphqlRequest,
	metricValue,
	repeatUntil,
	startGraphqlGateway,
	subscribe,
	until,
	wsClient,
} from "../helpers/graphql";

let node: GatewayNode;
let a: Owner;
let b: Owner;
let gqlA: GraphqlRequest;
let gqlB: GraphqlRequest;
const sockets: WsClient[] = [];
let metricsUrl: string;

const INTERACTIONS = `subscription($c: ID!) { customerInteraction(customerId: $c) {
	id type subject customerId customer { name } } }`;

function socket(credential?: string): WsClient {
	const client = wsClient(node.url, credential);
	sockets.push(client);

	return client;
}

async function newCustomer(gql: GraphqlRequest, name: string): Promise<string> {
	const res = await gql(
		"mutation($n: String!) { createCustomer(input: { name: $n, segment: SMB }) { id } }",
		{ n: name },
	);

	return res.body.data.createCustomer.id;
}

function interaction(gql: GraphqlRequest, customerId: string, subject = "Call back") {
	return gql(
		`mutation($c: ID!, $s: String) { createCustomerInteraction(input: { customerId: $c,
			type: CALL, subject: $s }) { id } }`,
		{ c: customerId, s: subject },
	);
}

beforeAll(async () => {
	const gateway = await startGraphqlGateway("Org A", "Org B");
	({ node, metricsUrl } = gateway);
	[a, b] = gateway.owners;
	[gqlA, gqlB] = gateway.clients;
});

afterAll(async () => {
	await Promise.all(sockets.map((s) => s.dispose()));
	await node?.stop();
});

test("customerInteraction delivers an interaction created over HTTP, its customer resolved; the socket is counted", async () => {
	const customerId = await newCustomer(gqlA, "Subscribed Co");
	const sub = subscribe<{ data: { customerInteraction: Record<string, unknown> } }>(
		socket(a.api_key),
		INTERACTIONS,
		{ c: customerId },
	);
	const created: string[] = [];

	await repeatUntil(
		() => sub.received.length > 0,
		async () =>
			created.push(
				(await interaction(gqlA, customerId)).body.data.createCustomerInteraction.id,
			),
	);

	const open = await metricValue(metricsUrl, "active_connections", 'type="graphql"');

	const event = sub.received[0].data.customerInteraction;
	expect(open).toBeGreaterThanOrEqual(1);
	expect(created).toContain(event.id);
	expect(event).toMatchObject({
		type: "CALL",
		subject: "Call back",
		customerId,
		customer: { name: "Subscribed Co" },
	});
});

test("a subscriber of organization A receives nothing of B, even when naming B's customer", async () => {
	const customerOfA = await newCustomer(gqlA, "A's customer");
	const customerOfB = await newCustomer(gqlB, "B's customer");
	const socketA = socket(a.api_key);
	// Subscribed first: live no later than `ownA`, which is sent after it on the same socket.
	const snooping = subscribe(socketA, INTERACTIONS, { c: customerOfB });
	const ownA = subscribe(socketA, INTERACTIONS, { c: customerOfA });
	const ownB = subscribe(socket(b.api_key), INTERACTIONS, { c: customerOfB });
	await repeatUntil(
		() => ownA.received.length > 0,
		() => interaction(gqlA, customerOfA),
	);
	await repeatUntil(
		() => ownB.received.length > 0,
		() => interaction(gqlB, customerOfB),
	);

	// B's event was published and matched B's subscriber; A's later event reached A.
	const seen = ownA.received.length;
	await interaction(gqlA, customerOfA, "after B");
	await until(() => ownA.received.length > seen);

	expect(ownB.received.length).toBeGreaterThan(0);
	expect(snooping.received).toEqual([]);
	expect(snooping.failure()).toBeUndefined();
});

interface CutOff {
	/** The answer of the REST call that ended the credential. */
	status: number;
	/** How the credential's subscription ended. */
	failure: unknown;
	/** Events it received after its socket was closed. */
	receivedAfter: number;
	/** Whether the owner's subscription to the same events still runs. */
	controlFailure: unknown;
}

/**
 * Subscribes with `credential` (and the owner's key beside it), ends the credential with
 * `end`, then sends one more event, delivered once the owner's socket has it.
 */
async function cutOff(credential: string, end: () => Promise<Response>): Promise<CutOff> {
	const customerId = await newCustomer(gqlA, "Cut-off Co");
	const ending = subscribe(socket(credential), INTERACTIONS, { c: customerId });
	const control = subscribe(socket(a.api_key), INTERACTIONS, { c: customerId });
	await repeatUntil(
		() => ending.received.length > 0 && control.received.length > 0,
		() => interaction(gqlA, customerId),
	);

	const { status } = await end();
	await until(() => ending.failure() !== undefined);
	const seen = ending.received.length;
	const controlSeen = control.received.length;
	await interaction(gqlA, customerId, "after the end");
	// The owner's socket got the later event, so it was published and delivered by now.
	await until(() => control.received.length > controlSeen);

	return {
		status,
		failure: ending.failure(),
		receivedAfter: ending.received.length - seen,
		controlFailure: control.failure(),
	};
}

test("revoking an API key over REST closes its open subscription socket with 4401; no later event reaches it", async () => {
	const created = await gqlA(
		'mutation { createApiKey(input: { name: "Revoked soon", scopes: ["*:read"] }) { id key } }',
	);
	const { id, key } = created.body.data.createApiKey;

	const result = await cutOff(key, () =>
		fetch(`${node.url}/v1/auth/api-keys/${id}`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${a.api_key}` },
		}),
	);

	expect(result).toEqual({
		status: 200,
		failure: expect.objectContaining({ code: 4401, reason: "The API key was revoked" }),
		receivedAfter: 0,
		controlFailure: undefined,
	});
});

test("signing a session out closes its access token's subscription socket with 4401; no later event reaches it", async () => {
	const members = await fetch(
		`${node.url}/v1/organizations/${a.organization_id}/members?user_id=${a.user_id}`,
		{ headers: { authorization: `Bearer ${a.api_key}` } },
	);
	const email = ((await members.json()) as { data: Array<{ email: string }> }).data[0].email;
	const session = await signIn(node.url, email, OWNER_PASSWORD);

	const result = await cutOff(session.access_token, () =>
		fetch(`${node.url}/v1/auth/sessions/current`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${session.access_token}` },
		}),
	);

	expect(result).toEqual({
		status: 200,
		failure: expect.objectContaining({ code: 4401, reason: "The session has ended" }),
		receivedAfter: 0,
		controlFailure: undefined,
	});
});

test("one socket runs at most 100 operations at once: the 101st is refused as RATE_LIMITED, the others stay", async () => {
	const client = socket(a.api_key);
	const customerId = await newCustomer(gqlA, "Busy Co");
	const running = Array.from({ length: 100 }, () =>
		subscribe(client, INTERACTIONS, { c: customerId }),
	);

	const extra = subscribe(client, INTERACTIONS, { c: customerId });
	await until(() => extra.failure() !== undefined);
	const refusal = (
		extra.failure() as Array<{ message: string; extensions: { code: string } }>
	)[0];
	const failed = running.filter((s) => s.failure() !== undefined);
	running.forEach((s) => s.stop());

	expect(refusal.extensions.code).toBe("RATE_LIMITED");
	expect(refusal.message).toBe("At most 100 operations at once per socket");
	expect(failed).toEqual([]);
});

test("a socket without a valid credential is closed with 4401", async () => {
	const none = subscribe(socket(), "{ organization { id } }");
	const bad = subscribe(socket("mnx_not-a-real-key"), "{ organization { id } }");

	await until(() => Boolean(none.failure() && bad.failure()));

	expect((none.failure() as { code: number }).code).toBe(4401);
	expect((bad.failure() as { code: number }).code).toBe(4401);
	expect(none.received).toEqual([]);
});

test("over WebSocket the same limits and scopes apply as over HTTP", async () => {
	const limited = await gqlA(
		'mutation { createApiKey(input: { name: "Events only", scopes: ["events:read"] }) { key } }',
	);
	const deep = `subscription { customerInteraction(customerId: "x") { customer { contacts(first: 1) {
		customer { contacts(first: 1) { customer { contacts(first: 1) { customer { contacts(first: 1) {
		customer { contacts(first: 1) { id } } } } } } } } } } }`;

	const tooDeep = subscribe(socket(a.api_key), deep);
	const noScope = subscribe(socket(limited.body.data.createApiKey.key), INTERACTIONS, {
		c: crypto.randomUUID(),
	});
	await until(() => Boolean(tooDeep.failure() && noScope.failure()));

	const codes = (f: unknown) => (f as Array<{ extensions: { code: string } }>)[0].extensions.code;
	expect(codes(tooDeep.failure())).toBe("VALIDATION_ERROR");
	expect(codes(noScope.failure())).toBe("FORBIDDEN");
});

test("a WebSocket upgrade to a path nothing serves is answered 404 and closed; /graphql goes on", async () => {
	const raw = net.connect(node.port, "127.0.0.1");
	let answer = "";
	raw.on("data", (d) => (answer += d.toString()));
	const closed = new Promise<void>((resolve) => raw.once("close", () => resolve()));
	await new Promise<void>((resolve) => raw.once("connect", () => resolve()));
	const key = crypto.randomBytes(16).toString("base64");
	raw.write(
		"GET /another-ws-endpoint HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
			`Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\n` +
			"Sec-WebSocket-Version: 13\r\n\r\n",
	);
	await closed;

	// A whole subscription round trip on /graphql still works beside it.
	const customerId = await newCustomer(gqlA, "Shared port");
	const sub = subscribe(socket(a.api_key), INTERACTIONS, { c: customerId });
	await repeatUntil(
		() => sub.received.length > 0,
		() => interaction(gqlA, customerId),
	);

	expect(answer.startsWith("HTTP/1.1 404")).toBe(true);
	expect(sub.received.length).toBeGreaterThan(0);
});

test("socket.io connects on the same port while GraphQL subscriptions are live; both get the event", async () => {
	const customerId = await newCustomer(gqlA, "Two protocols");
	const sub = subscribe(socket(a.api_key), INTERACTIONS, { c: customerId });
	await repeatUntil(
		() => sub.received.length > 0,
		() => interaction(gqlA, customerId),
	);
	const io = await connected(socketTo(node.url, { token: a.api_key }));
	const inbox = new Inbox(io);
	await request(io, "subscribe", { types: ["customer_interaction.created"] });

	const seen = sub.received.length;
	const created = await interaction(gqlA, customerId, "Both");
	const id = created.body.data.createCustomerInteraction.id;
	await inbox.waitFor((events) => events.some((e) => e.data.object.id === id));
	await until(() => sub.received.length > seen);
	io.close();

	expect(sub.received.length).toBe(seen + 1);
});
