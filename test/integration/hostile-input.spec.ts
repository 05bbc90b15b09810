/**
 * Hostile input that was misread rather than fatal (notes/hostile.md F22, F8, F3, socket path
 * parameters): compressed bodies, wrongly typed GraphQL variables, names of Object.prototype
 * members. Each is a 4xx of the catalogue naming what is wrong, and nothing is stored.
 */
import zlib from "node:zlib";
import { graphqlClient } from "../helpers/graphql";
import { type Answer, hostileTarget } from "../helpers/hostile";
import { request, type SocketError } from "../helpers/sockets";

const target = hostileTarget("Hostile Input Trading");

describe("socket.io call path parameters", () => {
	test("an object as a path parameter is refused, not used as a store operator", async () => {
		const socket = await target.socket();
		const before = await target.customerCount();
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
		expect(await target.customerCount()).toBe(before);
	});
});

describe("Content-Encoding and +json media types", () => {
	const GZIP = { "content-encoding": "gzip" };

	async function send(
		urlPath: string,
		body: Buffer | string,
		headers: Record<string, string>,
	): Promise<Answer> {
		const res = await fetch(`${target.node.url}${urlPath}`, {
			method: "POST",
			headers: { authorization: `Bearer ${target.key}`, ...headers },
			body,
		});

		return { status: res.status, body: await res.json() };
	}

	function expectUnsupported(res: Answer): void {
		expect(res.status).toBe(415);
		expect(res.body.error).toMatchObject({
			code: "UNSUPPORTED_MEDIA_TYPE",
			details: [{ field: "Content-Encoding", message: "must be identity or absent" }],
		});
	}

	test("a compressed or falsely labelled JSON body is 415, and identity is accepted", async () => {
		const json = { "content-type": "application/json" };
		const before = await target.customerCount();

		const gzipped = await send(
			`${target.base}/customers`,
			zlib.gzipSync(JSON.stringify({ name: "zipped", segment: "smb" })),
			{ ...json, ...GZIP },
		);
		const garbage = await send(`${target.base}/customers/bulk`, "notgzip", {
			...json,
			...GZIP,
		});
		const identity = await send(
			`${target.base}/customers`,
			'{"name":"plain","segment":"smb"}',
			{
				...json,
				"content-encoding": "identity",
			},
		);

		expectUnsupported(gzipped);
		expectUnsupported(garbage);
		expect(identity.status).toBe(201);
		expect(await target.customerCount()).toBe(before + 1);
	});

	test("a +json media type is read as JSON, not passed through unparsed", async () => {
		const res = await send(`${target.base}/customers`, '{"name":"vnd","segment":"smb"}', {
			"content-type": "application/vnd.api+json",
		});

		expect(res.status).toBe(201);
		expect(res.body.data).toMatchObject({ name: "vnd", segment: "smb" });
	});

	test("a compressed import or document upload is 415 and stores nothing, instead of storing the compressed bytes", async () => {
		const documents = await target.api.get(`${target.base}/documents?limit=100`);
		const csv = zlib.gzipSync("sku,name,price\nGZ-1,zipped,1\n");

		const imported = await send(`${target.base}/products/bulk-import`, csv, {
			"content-type": "text/csv",
			...GZIP,
		});
		const uploaded = await send(`${target.base}/documents?name=a.txt`, zlib.gzipSync("hello"), {
			"content-type": "text/plain",
			...GZIP,
		});

		expectUnsupported(imported);
		expectUnsupported(uploaded);
		const products = await target.api.get(`${target.base}/products?sku=GZ-1`);
		expect(products.body.data).toEqual([]);
		const after = await target.api.get(`${target.base}/documents?limit=100`);
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
		const gql = graphqlClient(target.node.url, target.key);

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
		const res = await target.api.get(`${target.base}/customers?${name}=1`);

		expect(res.status).toBe(400);
		expect(res.body.error.details).toHaveLength(1);
		expect(res.body.error.details[0]).toMatchObject({
			field: name,
			message: expect.stringMatching(/^is not a parameter of this (list|route)$/),
		});
	});

	test.each(MEMBERS)("fields=%s and include of it are refused", async (name) => {
		const fields = await target.api.get(`${target.base}/customers?fields=${name}`);
		const include = await target.api.get(`${target.base}/customers?include=${name}`);

		expect(fields.status).toBe(400);
		expect(fields.body.error.details[0]).toMatchObject({ field: "fields" });
		expect(include.status).toBe(400);
		expect(include.body.error.details[0]).toMatchObject({ field: "include" });
	});

	test("a percent-encoded __proto__ query key is refused too", async () => {
		const res = await target.api.get(`${target.base}/customers?%5F%5Fproto%5F%5F=1`);

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({ field: "__proto__" });
	});

	test("sort=constructor:asc is refused", async () => {
		const res = await target.api.get(`${target.base}/customers?sort=constructor:asc`);

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({ field: "sort" });
	});

	test("import columns and NDJSON keys named constructor or __proto__ fail their row as unknown fields", async () => {
		const csv = "sku,name,price,constructor\nPROTO-1,x,1,b\n";
		const ndjson = '{"sku":"PROTO-2","name":"x","price":1,"__proto__":{"polluted":true}}';

		const fromCsv = await target.api.request(
			"POST",
			`${target.base}/products/bulk-import`,
			csv,
			{
				"content-type": "text/csv",
			},
		);
		const fromNdjson = await target.api.request(
			"POST",
			`${target.base}/products/bulk-import`,
			ndjson,
			{
				"content-type": "application/x-ndjson",
			},
		);

		expect(fromCsv.body.data).toMatchObject({ created: 0, failed: 1 });
		expect(fromCsv.body.data.errors[0].details).toEqual([
			{ field: "constructor", message: "is not a field of this resource", value: "b" },
		]);
		expect(fromNdjson.body.data).toMatchObject({ created: 0, failed: 1 });
		expect(fromNdjson.body.data.errors[0].details).toEqual([
			{ field: "__proto__", message: "is not a field of this resource" },
		]);
		const products = await target.api.get(`${target.base}/products?sku_in=PROTO-1,PROTO-2`);
		expect(products.body.data).toEqual([]);
	});

	test("a CSV import with a __proto__ column is refused whole, naming the column", async () => {
		const csv = "sku,name,price,__proto__\nPROTO-3,x,1,a\n";

		const res = await target.api.request("POST", `${target.base}/products/bulk-import`, csv, {
			"content-type": "text/csv",
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{ field: "__proto__", message: "is not a column of this import" },
		]);
		const products = await target.api.get(`${target.base}/products?sku=PROTO-3`);
		expect(products.body.data).toEqual([]);
	});

	test("a multipart form field named __proto__ is refused as an unknown upload field", async () => {
		const body =
			'--zzz\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nx\r\n' +
			'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n' +
			"Content-Type: text/plain\r\n\r\nhello\r\n--zzz--\r\n";

		const res = await target.api.request("POST", `${target.base}/documents`, body, {
			"content-type": "multipart/form-data; boundary=zzz",
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{ field: "__proto__", message: "is not a field of an upload" },
		]);
	});
});
