/**
 * The socket service on one gateway process: handshakes, subscriptions, calls, resume and
 * limits, through socket.io-client over real sockets, with writes made over REST.
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
import {
	connected,
	createKey,
	disconnected,
	type Envelope,
	eventLog,
	Inbox,
	refusal,
	request,
	sleep,
	type Socket,
	type SocketError,
	socketTo,
} from "../helpers/sockets";

const CONNECTIONS_PER_CREDENTIAL = 4;
const MESSAGES_PER_SECOND = 20;

let node: GatewayNode;
let owner: Owner;
let other: Owner;
let api: Client;
let otherApi: Client;
const open: Socket[] = [];

function customers(orgId: string): string {
	return `/v1/organizations/${orgId}/customers`;
}

async function createCustomer(rest: Client, orgId: string, fields: Record<string, unknown> = {}) {
	const res = await rest.post(customers(orgId), {
		name: `C ${Math.random()}`,
		segment: "smb",
		...fields,
	});
	if (res.status !== 201) throw new Error(`create failed: ${JSON.stringify(res.body)}`);

	return res.body.data as { id: string; version: number };
}

/** A connected socket of `credential`, subscribed to `types` when given. */
async function subscriber(
	credential: string,
	types?: string[],
	ids?: string[],
): Promise<{ socket: Socket; inbox: Inbox }> {
	const socket = socketTo(node.url, { token: credential });
	open.push(socket);
	const inbox = new Inbox(socket);
	await connected(socket);
	if (types) await request(socket, "subscribe", ids ? { types, ids } : { types });

	return { socket, inbox };
}

beforeAll(async () => {
	const dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Socket Org");
	other = bootstrap({ DATA_DIR: dataDir }, "Other Socket Org");
	node = await startNode({
		DATA_DIR: dataDir,
		SOCKET_CONNECTIONS_PER_CREDENTIAL: String(CONNECTIONS_PER_CREDENTIAL),
		SOCKET_MESSAGES_PER_SECOND: String(MESSAGES_PER_SECOND),
	});
	api = client(node.url, owner.api_key);
	otherApi = client(node.url, other.api_key);
});

afterEach(() => {
	for (const socket of open.splice(0)) socket.close();
});

afterAll(async () => {
	await node?.stop();
});

describe("socket handshake", () => {
	test("a handshake without a credential is refused with UNAUTHORIZED", async () => {
		const error = await refusal(node.url, {});

		expect(error.code).toBe("UNAUTHORIZED");
	});

	test("a handshake with an unknown API key or a malformed token is refused", async () => {
		expect((await refusal(node.url, { token: "mnx_not-a-key-of-anyone" })).code).toBe(
			"UNAUTHORIZED",
		);
		// Not an API key, so it is checked as an access token.
		await expect(
			refusal(node.url, { token: "eyJhbGciOiJub25lIn0.e30." }),
		).resolves.toHaveProperty("code");
		expect((await refusal(node.url, { token: 42 })).code).toBe("VALIDATION_ERROR");
	});

	test("a revoked API key is refused, and the sockets it had open are closed", async () => {
		const key = await createKey(api);
		const { socket, inbox } = await subscriber(key.key, ["*"]);
		const closed = disconnected(socket);

		expect((await api.delete(`/v1/auth/api-keys/${key.id}`)).status).toBe(200);

		expect(await closed).toBe("io server disconnect");
		expect(inbox.notices).toEqual([expect.objectContaining({ code: "UNAUTHORIZED" })]);
		expect((await refusal(node.url, { token: key.key })).code).toBe("UNAUTHORIZED");
	});

	test("an API key past its expires_at is refused", async () => {
		const key = await createKey(api, {
			expires_at: new Date(Date.now() + 2_000).toISOString(),
		});
		const before = socketTo(node.url, { token: key.key });
		open.push(before);
		await connected(before);

		await sleep(2_500);

		expect((await refusal(node.url, { token: key.key })).code).toBe("UNAUTHORIZED");
	});

	test("a credential may hold only so many connections; the next is refused with RATE_LIMITED", async () => {
		const key = await createKey(api);
		for (let i = 0; i < CONNECTIONS_PER_CREDENTIAL; i++) await subscriber(key.key);

		expect((await refusal(node.url, { token: key.key })).code).toBe("RATE_LIMITED");

		// A closed connection gives its slot back.
		open.pop()?.close();
		await sleep(200);
		await subscriber(key.key);
	});
});

describe("socket subscriptions", () => {
	test("a socket receives the event types it subscribed to, wildcards included, and no others", async () => {
		const all = await subscriber(owner.api_key, ["customer.*"]);
		const created = await subscriber(owner.api_key, ["customer.created"]);
		const contacts = await subscriber(owner.api_key, ["customer_contact.*"]);

		const customer = await createCustomer(api, owner.organization_id);
		await api.patch(`${customers(owner.organization_id)}/${customer.id}`, {
			status: "churned",
		});
		await api.post(`${customers(owner.organization_id)}/${customer.id}/contacts`, {
			name: "Maria",
		});
		await all.inbox.waitFor((events) => events.length >= 3);
		await contacts.inbox.waitFor((events) => events.length >= 1);
		await sleep(300);

		expect(all.inbox.events.map((e) => e.type)).toEqual([
			"customer.created",
			"customer.updated",
			"customer.status_changed",
		]);
		expect(created.inbox.events.map((e) => e.type)).toEqual(["customer.created"]);
		expect(contacts.inbox.events.map((e) => e.type)).toEqual(["customer_contact.created"]);
		// The bare event envelope, not the REST one.
		expect(all.inbox.events[0]).toMatchObject({
			id: expect.stringMatching(/^evt_/),
			type: "customer.created",
			organization_id: owner.organization_id,
			actor: { type: "api_key" },
			data: { object: { id: customer.id } },
		});
	});

	test("ids narrow a subscription to those entities, and unsubscribe stops delivery", async () => {
		const [watched, ignored] = [
			await createCustomer(api, owner.organization_id),
			await createCustomer(api, owner.organization_id),
		];
		const { socket, inbox } = await subscriber(
			owner.api_key,
			["customer.updated"],
			[watched.id],
		);

		await api.patch(`${customers(owner.organization_id)}/${ignored.id}`, {
			company: "Ignored",
		});
		await api.patch(`${customers(owner.organization_id)}/${watched.id}`, {
			company: "Watched",
		});
		await inbox.waitFor((events) => events.length >= 1);
		const ack = await request(socket, "unsubscribe", { types: ["customer.updated"] });
		await api.patch(`${customers(owner.organization_id)}/${watched.id}`, { company: "Later" });
		await sleep(500);

		expect(inbox.events.map((e) => e.data.object.id)).toEqual([watched.id]);
		expect(ack).toEqual({ subscriptions: [] });
	});

	test("a subscription is acknowledged with the socket's subscriptions; a type no event has is refused", async () => {
		const { socket } = await subscriber(owner.api_key);

		const ack = await request(socket, "subscribe", {
			types: ["order.*", "invoice.paid"],
			ids: ["a"],
		});
		const typo = await request(socket, "subscribe", { types: ["order.shiped"] }).catch(
			(e) => e,
		);
		const stray = await request(socket, "subscribe", { types: ["order.*"], room: "x" }).catch(
			(e) => e,
		);

		expect(ack).toEqual({
			subscriptions: [
				{ type: "order.*", ids: ["a"] },
				{ type: "invoice.paid", ids: ["a"] },
			],
		});
		expect(typo).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "types[0]", value: "order.shiped" }],
		});
		expect(stray).toMatchObject({ code: "VALIDATION_ERROR" });
	});

	test("a key without the events:read scope cannot subscribe", async () => {
		const key = await createKey(api, { scopes: ["customers:read"] });
		const { socket } = await subscriber(key.key);

		const error = await request(socket, "subscribe", { types: ["*"] }).catch(
			(e: SocketError) => e,
		);

		expect(error).toMatchObject({ code: "FORBIDDEN" });
	});
});

describe("socket calls", () => {
	test("a read-only key may list customers over the socket but not create one", async () => {
		const key = await createKey(api, { scopes: ["*:read"] });
		const { socket } = await subscriber(key.key);

		const list = await request<{ data: unknown[] }>(socket, "call", "customers.list", {
			query: { limit: 5 },
		});
		const create = await request(socket, "call", "customers.create", {
			body: { name: "Nope", segment: "smb" },
		}).catch((e: SocketError) => e);

		expect(Array.isArray(list.data)).toBe(true);
		expect(create).toMatchObject({ code: "FORBIDDEN" });
		expect((await api.get(`${customers(owner.organization_id)}?name=Nope`)).body.data).toEqual(
			[],
		);
	});

	test("a call acts in the caller's organization and records the caller as the actor", async () => {
		const { socket, inbox } = await subscriber(owner.api_key, ["customer.created"]);

		const created = await request<{ id: string; organization_id: string }>(
			socket,
			"call",
			"customers.create",
			{
				body: { name: "Over the socket", segment: "smb" },
			},
		);
		await inbox.waitFor((events) => events.length >= 1);

		expect(created.organization_id).toBe(owner.organization_id);
		expect(inbox.events[0]).toMatchObject({
			data: { object: { id: created.id } },
			actor: { type: "api_key" },
		});
	});

	test("actions REST does not expose are not callable, and another organization's id is not found", async () => {
		const { socket } = await subscriber(owner.api_key);

		const internal = await request(socket, "call", "events.record", {}).catch(
			(e: SocketError) => e,
		);
		const gateway = await request(socket, "call", "io.broadcast", { event: "x" }).catch(
			(e: SocketError) => e,
		);
		const foreign = await request(socket, "call", "customers.list", {
			params: { org_id: other.organization_id },
		}).catch((e: SocketError) => e);

		expect(internal).toMatchObject({ code: "NOT_FOUND" });
		expect(gateway).toMatchObject({ code: "NOT_FOUND" });
		expect(foreign).toMatchObject({ code: "NOT_FOUND" });
	});
});

describe("socket resume", () => {
	test("a client reconnecting with last_event_id gets what it missed in order, then live events, with no gap and no duplicate", async () => {
		const since = new Date(Date.now() - 1000).toISOString();
		let phase: "before" | "away" | "resuming" | "done" = "before";
		const writer = (during: typeof phase, pauseMs: number) =>
			(async () => {
				while (phase === during) {
					await createCustomer(api, owner.organization_id);
					await sleep(pauseMs);
				}
			})();
		try {
			const trickle = writer("before", 20);
			const first = await subscriber(owner.api_key, ["customer.created"]);
			await first.inbox.waitFor((events) => events.length >= 10);
			first.socket.close();
			const seen = first.inbox.events.slice();
			phase = "away";
			await trickle;
			// While the client is away, more than a page of the replay is recorded.
			for (const count of [1000, 700]) {
				const items = Array.from({ length: count }, (_, i) => ({
					name: `Bulk ${i}`,
					segment: "smb",
				}));
				const res = await api.post(`${customers(owner.organization_id)}/bulk`, { items });
				expect(res.status).toBe(200);
			}
			// Two writers without pause, so events are recorded while the replay is read.
			phase = "resuming";
			const burst = [writer("resuming", 0), writer("resuming", 0)];

			const resumed = socketTo(node.url, {
				token: owner.api_key,
				last_event_id: seen[seen.length - 1].id,
			});
			open.push(resumed);
			const inbox = new Inbox(resumed);
			await connected(resumed);
			await request(resumed, "subscribe", { types: ["customer.created"] });
			await inbox.waitFor((events) => events.length >= 1700 + 30, 30_000);
			phase = "done";
			await Promise.all(burst);
			await sleep(500);

			const received = [...seen, ...inbox.events].map((e) => e.id);
			const log = (await eventLog(api, owner.organization_id, since))
				.filter((e: Envelope) => e.type === "customer.created" && e.id >= received[0])
				.map((e: Envelope) => e.id);
			expect(received).toEqual(log);
		} finally {
			phase = "done";
		}
	}, 90_000);
});

describe("socket isolation", () => {
	test("over 30 s of traffic in two organizations, each socket receives exactly its own organization's events", async () => {
		const mine = await subscriber(owner.api_key, ["*"]);
		const theirs = await subscriber(other.api_key, ["*"]);
		const since = new Date(Date.now() - 1).toISOString();
		await sleep(50);
		const until = Date.now() + 30_000;
		const traffic = async (rest: Client, orgId: string): Promise<void> => {
			while (Date.now() < until) {
				const customer = await createCustomer(rest, orgId);
				await rest.patch(`${customers(orgId)}/${customer.id}`, { company: "Updated" });
			}
		};

		await Promise.all([
			traffic(api, owner.organization_id),
			traffic(otherApi, other.organization_id),
		]);
		await sleep(1_000);

		for (const [inbox, rest, orgId] of [
			[mine.inbox, api, owner.organization_id],
			[theirs.inbox, otherApi, other.organization_id],
		] as const) {
			const log = (await eventLog(rest, orgId, since)).map((e) => e.id);
			expect(inbox.events.every((e) => e.organization_id === orgId)).toBe(true);
			expect(log.length).toBeGreaterThan(50);
			expect(inbox.ids()).toEqual(log);
		}
	}, 120_000);
});

describe("socket limits", () => {
	test("messages over the per-second allowance are refused with RATE_LIMITED; a flood loses its socket, not others'", async () => {
		const key = await createKey(api);
		const flooder = await subscriber(key.key);
		const bystander = await subscriber(owner.api_key, ["customer.created"]);

		const burst = await Promise.all(
			Array.from({ length: 2 * MESSAGES_PER_SECOND }, () =>
				request(flooder.socket, "subscribe", { types: ["*"] }).then(
					() => "ok",
					(e: SocketError) => e.code,
				),
			),
		);
		expect(burst.filter((r) => r === "RATE_LIMITED").length).toBeGreaterThan(0);
		expect(flooder.socket.connected).toBe(true);

		const closed = disconnected(flooder.socket);
		for (let i = 0; i < 10 * MESSAGES_PER_SECOND; i++)
			flooder.socket.emit("subscribe", { types: ["*"] });
		expect(await closed).toBe("io server disconnect");

		await createCustomer(api, owner.organization_id);
		await bystander.inbox.waitFor((events) => events.length >= 1);
		expect(bystander.socket.connected).toBe(true);
	});

	test("a message over 1 MB closes that connection only", async () => {
		const big = await subscriber(owner.api_key);
		const bystander = await subscriber(owner.api_key, ["customer.created"]);
		const closed = disconnected(big.socket);

		big.socket.emit("subscribe", { types: ["*"], ids: ["x".repeat(1_100_000)] });

		expect(await closed).toBe("transport close");
		await createCustomer(otherApi, other.organization_id);
		await createCustomer(api, owner.organization_id);
		await bystander.inbox.waitFor((events) => events.length >= 1);
		expect(
			bystander.inbox.events.every((e) => e.organization_id === owner.organization_id),
		).toBe(true);
	});
});
