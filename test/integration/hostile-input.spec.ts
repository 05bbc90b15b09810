/**
 * Hostile input on one gateway process (notes/hostile.md): deeply nested, oversized and
 * malformed requests over real HTTP and socket.io clients. Each is refused with a 4xx of the
 * catalogue, stores nothing, and leaves the process answering.
 */
import fs from "node:fs";
import path from "node:path";
import { type GatewayNode, organizationGateway, type Client } from "../helpers/gateway";
import { connected, request, type Socket, type SocketError, socketTo } from "../helpers/sockets";

let node: GatewayNode;
let api: Client;
let base: string;
let key: string;
let dataDir: string;
const open: Socket[] = [];

/** `levels` nested empty arrays, as JSON text. */
function deepArray(levels: number): string {
	return "[".repeat(levels) + "]".repeat(levels);
}

async function socketOf(credential: string): Promise<Socket> {
	const socket = socketTo(node.url, { token: credential });
	open.push(socket);

	return connected(socket);
}

/**
 * Sends a socket.io EVENT frame as raw text (`payload` is its JSON array), as a hostile client
 * would: the client library would not encode such values. Resolves the acknowledgement's args.
 */
function rawEmit(socket: Socket, payload: string, ackId = 900): Promise<unknown[]> {
	const engine = socket.io.engine;

	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error("no acknowledgement")), 10_000);
		const onMessage = (data: unknown) => {
			const prefix = `3${ackId}[`;
			if (typeof data !== "string" || !data.startsWith(prefix)) return;
			clearTimeout(timer);
			engine.off("message", onMessage);
			resolve(JSON.parse(data.slice(prefix.length - 1)) as unknown[]);
		};
		engine.on("message", onMessage);
		engine.send(`2${ackId}${payload}`);
	});
}

/** The process is still up and serving requests. */
async function expectAlive(): Promise<void> {
	expect(node.exitCode()).toBeNull();
	const res = await api.get(`${base}/customers?limit=1`);
	expect(res.status).toBe(200);
}

/** How many customers the organization has (the tests make fewer than a page). */
async function customerCount(): Promise<number> {
	const res = await api.get(`${base}/customers?limit=100`);
	expect(res.status).toBe(200);

	return res.body.data.length;
}

beforeAll(async () => {
	const gateway = await organizationGateway("Hostile Input Trading");
	({ node, api, base, dataDir } = gateway);
	key = gateway.owner.api_key;
});

afterAll(async () => {
	open.forEach((s) => s.close());
	await node?.stop();
});

describe("socket.io call", () => {
	test("a call whose action name is a deeply nested array is refused and the process keeps serving", async () => {
		const socket = await socketOf(key);

		const [error] = (await rawEmit(socket, `["call",${deepArray(8000)},{}]`)) as [SocketError];

		expect(error.code).toBe("VALIDATION_ERROR");
		expect(error.details).toEqual([{ field: "action", message: "must be an action name" }]);
		const list = await request<{ data: unknown[] }>(socket, "call", "customers.list", {});
		expect(Array.isArray(list.data)).toBe(true);
		await expectAlive();
	});

	test("a call whose action name is an object or an overlong string is refused as not an action name", async () => {
		const socket = await socketOf(key);

		const refusals = await Promise.all(
			[{ a: 1 }, "x".repeat(5000), 42].map((action) =>
				request(socket, "call", action, {}).catch((e: SocketError) => e),
			),
		);

		for (const error of refusals as SocketError[]) expect(error.code).toBe("VALIDATION_ERROR");
		await expectAlive();
	});
});

describe("validation errors never echo a client value unbounded", () => {
	test("a deeply nested unknown field is a 400 naming the field, without its value, and the process keeps serving", async () => {
		const before = await customerCount();

		const res = await api.post(`${base}/customers`, `{"evil":${deepArray(5000)}}`);

		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(res.body.error.details).toEqual([
			{ field: "evil", message: "is not a field of this resource" },
		]);
		await expectAlive();
		expect(await customerCount()).toBe(before);
	});

	test("a 900 KB field value comes back cut to its first characters, not whole", async () => {
		const name = "A".repeat(900_000);

		const res = await api.post(`${base}/customers`, { name, segment: "nope" });

		expect(res.status).toBe(400);
		expect(JSON.stringify(res.body).length).toBeLessThan(2000);
		const echoed = res.body.error.details.find((d: { field: string }) => d.field === "segment");
		expect(echoed).toMatchObject({ field: "segment", value: "nope" });
	});

	test("an unknown field with a 900 KB name is a 400 with the name cut short", async () => {
		const res = await api.post(`${base}/customers`, { ["k".repeat(900_000)]: 1, name: "x" });

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].message).toBe("is not a field of this resource");
		expect(res.body.error.details[0].field.length).toBeLessThan(300);
	});

	test("a socket call with a deeply nested unknown field is refused with a small error and stores nothing", async () => {
		const socket = await socketOf(key);
		const before = await customerCount();
		const params = `{"body":{"evil":${deepArray(8000)}}}`;

		const [error] = (await rawEmit(socket, `["call","customers.create",${params}]`)) as [
			SocketError,
		];

		expect(error.code).toBe("VALIDATION_ERROR");
		expect(JSON.stringify(error).length).toBeLessThan(2000);
		await expectAlive();
		expect(await customerCount()).toBe(before);
	});
});

describe("document uploads", () => {
	const MULTIPART = { "content-type": "multipart/form-data; boundary=zzz" };
	const PART =
		'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n' +
		"Content-Type: text/plain\r\n\r\nhello";

	/** Files left in the store's directory of uploads being received. */
	function incoming(): string[] {
		const dir = path.join(dataDir, "documents", ".incoming");

		return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
	}

	async function documentCount(): Promise<number> {
		const res = await api.get(`${base}/documents?limit=100`);
		expect(res.status).toBe(200);

		return res.body.data.length;
	}

	test("a multipart body cut off inside the file part is a 400, keeps no file, and the process keeps serving", async () => {
		const before = await documentCount();

		const res = await api.request("POST", `${base}/documents`, PART, MULTIPART);

		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(res.body.error.details[0]).toMatchObject({ field: "body" });
		await expectAlive();
		expect(await documentCount()).toBe(before);
		expect(incoming()).toEqual([]);
	});

	test("a multipart body with two file parts is a 400 naming the file part", async () => {
		const before = await documentCount();
		const body = `${PART}\r\n${PART}\r\n--zzz--\r\n`;

		const res = await api.request("POST", `${base}/documents`, body, MULTIPART);

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{ field: "file", message: "must be the only file part" },
		]);
		expect(await documentCount()).toBe(before);
		expect(incoming()).toEqual([]);
	});
});
