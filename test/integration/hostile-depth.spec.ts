/**
 * JSON nested deeper than 32 levels (notes/hostile.md F2) over every way in: REST bodies (also
 * anonymous and GET), imports, GraphQL over HTTP and graphql-ws, socket.io messages. Each is a
 * VALIDATION_ERROR, never a 500, and nothing is stored.
 */
import http from "node:http";
import { client } from "../helpers/gateway";
import { wsClient } from "../helpers/graphql";
import { type Answer, deepArray, deepObject, hostileTarget, rawEmit } from "../helpers/hostile";
import type { SocketError } from "../helpers/sockets";

const target = hostileTarget("Hostile Depth Trading");

describe("deeply nested JSON is a 400, never a 500", () => {
	function expectTooDeep(res: Answer, field = "body"): void {
		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(res.body.error.details).toEqual([
			{ field, message: "nests arrays or objects more than 32 levels deep" },
		]);
	}

	async function graphqlPost(text: string): Promise<Answer> {
		const res = await fetch(`${target.node.url}/graphql`, {
			method: "POST",
			headers: { "content-type": "application/json", authorization: `Bearer ${target.key}` },
			body: text,
		});

		return { status: res.status, body: await res.json() };
	}

	test("metadata nested 5,000 deep is refused and nothing is stored; 20 deep is kept", async () => {
		const before = await target.customerCount();

		const deep = await target.api.post(
			`${target.base}/customers`,
			`{"name":"deep","segment":"smb","metadata":${deepObject(5000)}}`,
		);
		const fine = await target.api.post(
			`${target.base}/customers`,
			`{"name":"nested","segment":"smb","metadata":${deepObject(20)}}`,
		);

		expectTooDeep(deep);
		expect(fine.status).toBe(201);
		expect(await target.customerCount()).toBe(before + 1);
		await target.expectAlive();
	});

	test("sign-in and invitation acceptance refuse a deep field without a credential", async () => {
		const anonymous = client(target.node.url);

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
		const res = await new Promise<Answer>((resolve, reject) => {
			const req = http.request(`${target.node.url}${target.base}/customers`, {
				method: "GET",
				headers: {
					authorization: `Bearer ${target.key}`,
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
		await target.expectAlive();
	});

	test("an NDJSON import row nested too deep fails alone; the other rows are imported", async () => {
		const rows = [
			`{"sku":"DEEP-1","name":"deep","price":1,"evil":${deepArray(5000)}}`,
			'{"sku":"FLAT-1","name":"flat","price":1}',
		].join("\n");

		const res = await target.api.request("POST", `${target.base}/products/bulk-import`, rows, {
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
		const before = await target.customerCount();

		const post = await graphqlPost(
			`{"query":${JSON.stringify(mutation)},"variables":{"i":${input}}}`,
		);
		const query = encodeURIComponent("query($ids: [ID!]) { customers { totalCount } }");
		const variables = encodeURIComponent(`{"ids":${deepArray(100)}}`);
		const get = await fetch(
			`${target.node.url}/graphql?query=${query}&variables=${variables}`,
			{
				headers: { authorization: `Bearer ${target.key}`, "apollo-require-preflight": "1" },
			},
		);
		const getBody = (await get.json()) as Answer["body"];

		expect(post.status).toBe(400);
		expect(post.body.errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "body", message: expect.stringMatching(/32 levels/) }],
		});
		expect(getBody.errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "variables" }],
		});
		expect(await target.customerCount()).toBe(before);
	});

	test("graphql-ws variables nested too deep are a VALIDATION_ERROR and nothing is created", async () => {
		const ws = wsClient(target.node.url, target.key);
		const before = await target.customerCount();
		const metadata = JSON.parse(deepObject(100)) as unknown;

		const errors = await new Promise<Answer["body"][]>((resolve, reject) => {
			ws.subscribe(
				{
					query: "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
					variables: { i: { name: "deep ws", segment: "SMB", metadata } },
				},
				{
					next: () => reject(new Error("it ran")),
					error: (e) => resolve(e as Answer["body"][]),
					complete: () => reject(new Error("it completed")),
				},
			);
		});
		await ws.dispose();

		expect(errors[0].extensions).toMatchObject({
			code: "VALIDATION_ERROR",
			details: [{ field: "variables" }],
		});
		expect(await target.customerCount()).toBe(before);
	});

	test("a GraphQL document whose input literal nests 3,000 deep is refused naming the query, over HTTP and graphql-ws", async () => {
		const literal = "{a:".repeat(3000) + "1" + "}".repeat(3000);
		const query = `mutation { createCustomer(input: {name: "lit", segment: SMB, metadata: ${literal}}) { id } }`;
		const before = await target.customerCount();
		const ws = wsClient(target.node.url, target.key);

		const overHttp = await graphqlPost(JSON.stringify({ query }));
		const overWs = await new Promise<Answer["body"][]>((resolve, reject) => {
			ws.subscribe(
				{ query },
				{
					next: () => reject(new Error("it ran")),
					error: (e) => resolve(e as Answer["body"][]),
					complete: () => reject(new Error("it completed")),
				},
			);
		});
		await ws.dispose();

		for (const error of [overHttp.body.errors[0], overWs[0]])
			expect(error.extensions).toMatchObject({
				code: "VALIDATION_ERROR",
				details: [{ field: "query", message: "nests brackets more than 64 deep" }],
			});
		expect(await target.customerCount()).toBe(before);
	});

	test("brackets inside GraphQL strings and comments do not count as nesting", async () => {
		const brackets = "{[(".repeat(30);
		const query = `# ${brackets}\n{ customers(filter: { q: "${brackets}" }) { totalCount } }`;

		const res = await graphqlPost(JSON.stringify({ query }));

		expect(res.body.errors).toBeUndefined();
		expect(res.body.data.customers.totalCount).toBe(0);
	});

	test("socket messages nested too deep are refused: subscribe types, call params", async () => {
		const socket = await target.socket();

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
		await target.expectAlive();
	});
});
