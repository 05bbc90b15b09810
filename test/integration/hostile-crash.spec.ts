/**
 * Attacks that ended the gateway process (notes/hostile.md F25, F1, F4, F16), through real
 * socket.io and HTTP clients: each is now a 4xx of the catalogue, stores nothing, and the
 * process keeps answering.
 */
import fs from "node:fs";
import path from "node:path";
import { deepArray, hostileTarget, rawEmit } from "../helpers/hostile";
import { request, type SocketError } from "../helpers/sockets";

const target = hostileTarget("Hostile Crash Trading");

describe("socket.io call", () => {
	test("a call whose action name is a deeply nested array is refused and the process keeps serving", async () => {
		const socket = await target.socket();

		const [error] = (await rawEmit(socket, `["call",${deepArray(8000)},{}]`)) as [SocketError];

		expect(error.code).toBe("VALIDATION_ERROR");
		expect(error.details).toEqual([{ field: "action", message: "must be an action name" }]);
		const list = await request<{ data: unknown[] }>(socket, "call", "customers.list", {});
		expect(Array.isArray(list.data)).toBe(true);
		await target.expectAlive();
	});

	test("a call whose action name is an object or an overlong string is refused as not an action name", async () => {
		const socket = await target.socket();

		const refusals = await Promise.all(
			[{ a: 1 }, "x".repeat(5000), 42].map((action) =>
				request(socket, "call", action, {}).catch((e: SocketError) => e),
			),
		);

		for (const error of refusals as SocketError[]) expect(error.code).toBe("VALIDATION_ERROR");
		await target.expectAlive();
	});
});

describe("validation errors never echo a client value unbounded", () => {
	test("a nested unknown field is a 400 naming the field without its value; 5,000 deep leaves the process serving", async () => {
		const before = await target.customerCount();

		const nested = await target.api.post(
			`${target.base}/customers`,
			`{"evil":${deepArray(30)}}`,
		);
		const deep = await target.api.post(
			`${target.base}/customers`,
			`{"evil":${deepArray(5000)}}`,
		);

		expect(nested.status).toBe(400);
		expect(nested.body.error.details).toEqual([
			{ field: "evil", message: "is not a field of this resource" },
		]);
		expect(deep.status).toBe(400);
		expect(deep.body.error.code).toBe("VALIDATION_ERROR");
		await target.expectAlive();
		expect(await target.customerCount()).toBe(before);
	});

	test("a 900 KB field value comes back cut to its first characters, not whole", async () => {
		const name = "A".repeat(900_000);

		const res = await target.api.post(`${target.base}/customers`, { name, segment: "nope" });

		expect(res.status).toBe(400);
		expect(JSON.stringify(res.body).length).toBeLessThan(2000);
		const echoed = res.body.error.details.find((d: { field: string }) => d.field === "segment");
		expect(echoed).toMatchObject({ field: "segment", value: "nope" });
	});

	test("an unknown field with a 900 KB name is a 400 with the name cut short", async () => {
		const res = await target.api.post(`${target.base}/customers`, {
			["k".repeat(900_000)]: 1,
			name: "x",
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].message).toBe("is not a field of this resource");
		expect(res.body.error.details[0].field.length).toBeLessThan(300);
	});

	test("a socket call with a deeply nested unknown field is refused with a small error and stores nothing", async () => {
		const socket = await target.socket();
		const before = await target.customerCount();
		const params = `{"body":{"evil":${deepArray(8000)}}}`;

		const [error] = (await rawEmit(socket, `["call","customers.create",${params}]`)) as [
			SocketError,
		];

		expect(error.code).toBe("VALIDATION_ERROR");
		expect(JSON.stringify(error).length).toBeLessThan(2000);
		await target.expectAlive();
		expect(await target.customerCount()).toBe(before);
	});
});

describe("document uploads", () => {
	const MULTIPART = { "content-type": "multipart/form-data; boundary=zzz" };
	const PART =
		'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n' +
		"Content-Type: text/plain\r\n\r\nhello";

	/** Files left in the store's directory of uploads being received. */
	function incoming(): string[] {
		const dir = path.join(target.dataDir, "documents", ".incoming");

		return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
	}

	async function documentCount(): Promise<number> {
		const res = await target.api.get(`${target.base}/documents?limit=100`);
		expect(res.status).toBe(200);

		return res.body.data.length;
	}

	test("a multipart body cut off inside the file part is a 400, keeps no file, and the process keeps serving", async () => {
		const before = await documentCount();

		const res = await target.api.request("POST", `${target.base}/documents`, PART, MULTIPART);

		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(res.body.error.details[0]).toMatchObject({ field: "body" });
		await target.expectAlive();
		expect(await documentCount()).toBe(before);
		expect(incoming()).toEqual([]);
	});

	test("a multipart body with two file parts is a 400 naming the file part", async () => {
		const before = await documentCount();
		const body = `${PART}\r\n${PART}\r\n--zzz--\r\n`;

		const res = await target.api.request("POST", `${target.base}/documents`, body, MULTIPART);

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{ field: "file", message: "must be the only file part" },
		]);
		expect(await documentCount()).toBe(before);
		expect(incoming()).toEqual([]);
	});
});
