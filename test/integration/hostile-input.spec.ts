/**
 * Hostile input on one gateway process (notes/hostile.md): deeply nested, oversized and
 * malformed requests over real HTTP and socket.io clients. Each is refused with a 4xx of the
 * catalogue, stores nothing, and leaves the process answering.
 */
import fs from "node:fs";
import http from "node:http";
import zlib from "node:zlib";
import path from "node:path";
import { client, type Client, type GatewayNode, organizationGateway } from "../helpers/gateway";
import { graphqlClient, wsClient } from "../helpers/graphql";
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
	test("a nested unknown field is a 400 naming the field without its value; 5,000 deep leaves the process serving", async () => {
		const before = await customerCount();

		const nested = await api.post(`${base}/customers`, `{"evil":${deepArray(30)}}`);
		const deep = await api.post(`${base}/customers`, `{"evil":${deepArray(5000)}}`);

		expect(nested.status).toBe(400);
		expect(nested.body.error.details).toEqual([
			{ field: "evil", message: "is not a field of this resource" },
		]);
		expect(deep.status).toBe(400);
		expect(deep.body.error.code).toBe("VALIDATION_ERROR");
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

describe("socket.io call path parameters", () => {
	test("an object as a path parameter is refused, not used as a store operator", async () => {
		const socket = await socketOf(key);
		const before = await customerCount();
		const params = { params: { id: { $ne: null } } };

		const refusals = await Promise.all(
			["customers.get", "customers.remove"].map((action) =>
				request(socket, "call", action, params).catch((e: SocketError) => e),
			),
		);

		for (const error of refusals as SocketError[])
			expect(error).toMatchObject({
				code: "VALIDATION_ERROR",
				details: [{ field: "params.id", message: "must be a string" }],
			});
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

describe("deeply nested JSON is a 400, never a 500", () => {
	/** `levels` nested objects `{"a": …}` around 1, as JSON text. */
	function deepObject(levels: number): string {
		return '{"a":'.repeat(levels) + "1" + "}".repeat(levels);
	}

	function expectTooDeep(res: { status: number; body: any }, field = "body"): void {
		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(res.body.error.details).toEqual([
			{ field, message: "nests arrays or objects more than 32 levels deep" },
		]);
	}

	async function graphqlPost(text: string): Promise<{ status: number; body: any }> {
		const res = await fetch(`${node.url}/graphql`, {
			method: "POST",
			headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
			body: text,
		});

		return { status: res.status, body: await res.json() };
	}

	test("metadata nested 5,000 deep is refused and nothing is stored; 20 deep is kept", async () => {
		const before = await customerCount();

		const deep = await api.post(
			`${base}/customers`,
			`{"name":"deep","segment":"smb","metadata":${deepObject(5000)}}`,
		);
		const fine = await api.post(
			`${base}/customers`,
			`{"name":"nested","segment":"smb","metadata":${deepObject(20)}}`,
		);

		expectTooDeep(deep);
		expect(fine.status).toBe(201);
		expect(await customerCount()).toBe(before + 1);
		await expectAlive();
	});

	test("sign-in and invitation acceptance refuse a deep field without a credential", async () => {
		const anonymous = client(node.url);

		const signIn = await anonymous.post(
			"/v1/auth/sessions",
			`{"email":${deepArray(5000)},"password":"x"}`,
		);
		const accept = await anonymous.post(
			"/v1/auth/invitations/accept",
			`{"token":${deepArray(5000)},"password":"long enough password"}`,
		);

		expectTooDeep(signIn);
		expectTooDeep(accept);
	});

	test("a GET with a deep JSON body is refused before the list runs", async () => {
		// fetch sends no body with a GET; node:http does.
		const body = `{"evil":${deepArray(8000)}}`;
		const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
			const req = http.request(`${node.url}${base}/customers`, {
				method: "GET",
				headers: {
					authorization: `Bearer ${key}`,
					"content-type": "application/json",
					"content-length": Buffer.byteLength(body),
				},
			});
			req.on("response", (r) => {
				let text = "";
				r.on("data", (d) => (text += d));
				r.on("end", () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
			});
			req.on("error", reject);
			req.end(body);
		});

		expectTooDeep(res);
		await expectAlive();
	});

	test("an NDJSON import row nested too deep fails alone; the other rows are imported", async () => {
		const rows = [
			`{"sku":"DEEP-1","name":"deep","price":1,"evil":${deepArray(5000)}}`,
			'{"sku":"FLAT-1","name":"flat","price":1}',
		].join("\n");

		const res = await api.request("POST", `${base}/products/bulk-import`, rows, {
			"content-type": "application/x-ndjson",
		});

		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({ rows: 2, created: 1, failed: 1 });
		expect(res.body.data.errors[0]).toMatchObject({
			row: 1,
			details: [
				{ field: "row", message: "nests arrays or objects more than 32 levels deep" },
			],
		});
	});

	test("GraphQL variables nested too deep are a VALIDATION_ERROR, over POST and GET", async () => {
		const mutation = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }";
		const input = `{"name":"deep gql","segment":"SMB","metadata":${deepObject(3000)}}`;
		const before = await customerCount();

		const post = await graphqlPost(
			`{"query":${JSON.stringify(mutation)},"variables":{"i":${input}}}`,
		);
		const query = encodeURIComponent("query($ids: [ID!]) { customers { totalCount } }");
		const variables = encodeURIComponent(`{"ids":${deepArray(100)}}`);
		const get = await fetch(`${node.url}/graphql?query=${query}&variables=${variables}`, {
			headers: { authorization: `Bearer ${key}`, "apollo-require-preflight": "1" },
		});
		const getBody = (await get.json()) as any;

		expect(post.status).toBe(400);
		expect(post.body.errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "body", message: expect.stringMatching(/32 levels/) }],
		});
		expect(getBody.errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "variables" }],
		});
		expect(await customerCount()).toBe(before);
	});

	test("graphql-ws variables nested too deep are a VALIDATION_ERROR and nothing is created", async () => {
		const ws = wsClient(node.url, key);
		const before = await customerCount();
		const metadata = JSON.parse(deepObject(100)) as unknown;

		const errors = await new Promise<any[]>((resolve, reject) => {
			ws.subscribe(
				{
					query: "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
					variables: { i: { name: "deep ws", segment: "SMB", metadata } },
				},
				{
					next: () => reject(new Error("it ran")),
					error: (e) => resolve(e as any[]),
					complete: () => reject(new Error("it completed")),
				},
			);
		});
		await ws.dispose();

		expect(errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "variables" }],
		});
		expect(await customerCount()).toBe(before);
	});

	test("socket messages nested too deep are refused: subscribe types, call params", async () => {
		const socket = await socketOf(key);

		const [subscribe] = (await rawEmit(
			socket,
			`["subscribe",{"types":[${deepArray(5000)}]}]`,
			901,
		)) as [SocketError];
		const [get] = (await rawEmit(
			socket,
			`["call","customers.get",{"params":{"id":${deepArray(5000)}}}]`,
			902,
		)) as [SocketError];

		for (const error of [subscribe, get]) {
			expect(error.code).toBe("VALIDATION_ERROR");
			expect(error.details).toEqual([
				{ field: "payload", message: "nests arrays or objects more than 32 levels deep" },
			]);
		}
		await expectAlive();
	});
});

describe("Content-Encoding", () => {
	const GZIP = { "content-encoding": "gzip" };

	async function send(
		urlPath: string,
		body: Buffer | string,
		headers: Record<string, string>,
	): Promise<{ status: number; body: any }> {
		const res = await fetch(`${node.url}${urlPath}`, {
			method: "POST",
			headers: { authorization: `Bearer ${key}`, ...headers },
			body,
		});

		return { status: res.status, body: await res.json() };
	}

	function expectUnsupported(res: { status: number; body: any }): void {
		expect(res.status).toBe(415);
		expect(res.body.error).toMatchObject({
			code: "UNSUPPORTED_MEDIA_TYPE",
			details: [{ field: "Content-Encoding", message: "must be identity or absent" }],
		});
	}

	test("a compressed or falsely labelled JSON body is 415, and identity is accepted", async () => {
		const json = { "content-type": "application/json" };
		const before = await customerCount();

		const gzipped = await send(
			`${base}/customers`,
			zlib.gzipSync(JSON.stringify({ name: "zipped", segment: "smb" })),
			{ ...json, ...GZIP },
		);
		const garbage = await send(`${base}/customers/bulk`, "notgzip", { ...json, ...GZIP });
		const identity = await send(`${base}/customers`, '{"name":"plain","segment":"smb"}', {
			...json,
			"content-encoding": "identity",
		});

		expectUnsupported(gzipped);
		expectUnsupported(garbage);
		expect(identity.status).toBe(201);
		expect(await customerCount()).toBe(before + 1);
	});

	test("a compressed import or document upload is 415 and stores nothing, instead of storing the compressed bytes", async () => {
		const documents = await api.get(`${base}/documents?limit=100`);
		const csv = zlib.gzipSync("sku,name,price\nGZ-1,zipped,1\n");

		const imported = await send(`${base}/products/bulk-import`, csv, {
			"content-type": "text/csv",
			...GZIP,
		});
		const uploaded = await send(`${base}/documents?name=a.txt`, zlib.gzipSync("hello"), {
			"content-type": "text/plain",
			...GZIP,
		});

		expectUnsupported(imported);
		expectUnsupported(uploaded);
		const products = await api.get(`${base}/products?sku=GZ-1`);
		expect(products.body.data).toEqual([]);
		const after = await api.get(`${base}/documents?limit=100`);
		expect(after.body.data.length).toBe(documents.body.data.length);
	});

	test("a compressed GraphQL request is 415 in the GraphQL error shape", async () => {
		const res = await send(
			"/graphql",
			zlib.gzipSync('{"query":"{ customers { totalCount } }"}'),
			{
				"content-type": "application/json",
				...GZIP,
			},
		);

		expect(res.status).toBe(415);
		expect(res.body.errors[0].extensions.code).toBe("UNSUPPORTED_MEDIA_TYPE");
	});
});

describe("GraphQL variables of the wrong type", () => {
	test("an object where an ID variable is expected is a VALIDATION_ERROR naming the variable, not an internal error", async () => {
		const gql = graphqlClient(node.url, key);

		const res = await gql("query($id: ID!) { customer(id: $id) { id } }", {
			id: { $ne: 1 },
		});

		expect(res.status).toBe(400);
		const [error] = res.body.errors;
		expect(error.extensions.code).toBe("VALIDATION_ERROR");
		expect(error.extensions.details[0]).toMatchObject({ field: "variables" });
		expect(error.extensions.details[0].message).toMatch(/\$id/);
		expect(error.extensions.stacktrace).toBeUndefined();
	});
});

describe("names of Object.prototype members are unknown names", () => {
	const MEMBERS = ["constructor", "__proto__", "toString"];

	test.each(MEMBERS)("?%s=1 is refused as an unknown parameter", async (name) => {
		const res = await api.get(`${base}/customers?${name}=1`);

		expect(res.status).toBe(400);
		expect(res.body.error.details).toHaveLength(1);
		expect(res.body.error.details[0]).toMatchObject({
			field: name,
			message: expect.stringMatching(/^is not a parameter of this (list|route)$/),
		});
	});

	test.each(MEMBERS)("fields=%s and include of it are refused", async (name) => {
		const fields = await api.get(`${base}/customers?fields=${name}`);
		const include = await api.get(`${base}/customers?include=${name}`);

		expect(fields.status).toBe(400);
		expect(fields.body.error.details[0]).toMatchObject({ field: "fields" });
		expect(include.status).toBe(400);
		expect(include.body.error.details[0]).toMatchObject({ field: "include" });
	});

	test("a percent-encoded __proto__ query key is refused too", async () => {
		const res = await api.get(`${base}/customers?%5F%5Fproto%5F%5F=1`);

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({ field: "__proto__" });
	});

	test("sort=constructor:asc is refused", async () => {
		const res = await api.get(`${base}/customers?sort=constructor:asc`);

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({ field: "sort" });
	});

	test("import columns and NDJSON keys named constructor or __proto__ fail their row as unknown fields", async () => {
		const csv = "sku,name,price,constructor\nPROTO-1,x,1,b\n";
		const ndjson = '{"sku":"PROTO-2","name":"x","price":1,"__proto__":{"polluted":true}}';

		const fromCsv = await api.request("POST", `${base}/products/bulk-import`, csv, {
			"content-type": "text/csv",
		});
		const fromNdjson = await api.request("POST", `${base}/products/bulk-import`, ndjson, {
			"content-type": "application/x-ndjson",
		});

		expect(fromCsv.body.data).toMatchObject({ created: 0, failed: 1 });
		expect(fromCsv.body.data.errors[0].details).toEqual([
			{ field: "constructor", message: "is not a field of this resource", value: "b" },
		]);
		expect(fromNdjson.body.data).toMatchObject({ created: 0, failed: 1 });
		expect(fromNdjson.body.data.errors[0].details).toEqual([
			{ field: "__proto__", message: "is not a field of this resource" },
		]);
		const products = await api.get(`${base}/products?sku_in=PROTO-1,PROTO-2`);
		expect(products.body.data).toEqual([]);
	});

	test("a CSV import with a __proto__ column is refused whole, naming the column", async () => {
		const csv = "sku,name,price,__proto__\nPROTO-3,x,1,a\n";

		const res = await api.request("POST", `${base}/products/bulk-import`, csv, {
			"content-type": "text/csv",
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{ field: "__proto__", message: "is not a column of this import" },
		]);
		const products = await api.get(`${base}/products?sku=PROTO-3`);
		expect(products.body.data).toEqual([]);
	});

	test("a multipart form field named __proto__ is refused as an unknown upload field", async () => {
		const body =
			'--zzz\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nx\r\n' +
			'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n' +
			"Content-Type: text/plain\r\n\r\nhello\r\n--zzz--\r\n";

		const res = await api.request("POST", `${base}/documents`, body, {
			"content-type": "multipart/form-data; boundary=zzz",
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{ field: "__proto__", message: "is not a field of an upload" },
		]);
	});
});
