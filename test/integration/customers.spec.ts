/**
 * The foundation end to end: a gateway process on NeDB, bootstrapped organizations, and the
 * customers, contacts and interactions resources over real HTTP.
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

let dataDir: string;
let owner: Owner;
let other: Owner;
let node: GatewayNode;
let api: Client;
let otherApi: Client;
let base: string;

function newCustomer(overrides: Record<string, unknown> = {}) {
	return {
		name: `Customer ${Math.random().toString(36).slice(2, 8)}`,
		segment: "smb",
		...overrides,
	};
}

beforeAll(async () => {
	dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Acme Trading");
	other = bootstrap({ DATA_DIR: dataDir }, "Other Trading");
	node = await startNode({ DATA_DIR: dataDir });
	api = client(node.url, owner.api_key);
	otherApi = client(node.url, other.api_key);
	base = `/v1/organizations/${owner.organization_id}`;
});

afterAll(async () => {
	await node?.stop();
});

describe("customers CRUD", () => {
	test("create answers 201 with the resource, its ETag, Location and the request id", async () => {
		const res = await api.post(
			`${base}/customers`,
			newCustomer({ name: "Acme Corp", email: "hq@acme.test", segment: "enterprise" }),
			{
				"x-request-id": "my-trace-123",
			},
		);

		expect(res.status).toBe(201);
		expect(res.body.success).toBe(true);
		expect(res.body.data).toMatchObject({
			name: "Acme Corp",
			email: "hq@acme.test",
			segment: "enterprise",
			status: "active",
			version: 1,
		});
		expect(res.body.data.organization_id).toBe(owner.organization_id);
		expect(res.headers.get("etag")).toBe(`"${res.body.data.id}.1"`);
		expect(res.headers.get("location")).toBe(`${base}/customers/${res.body.data.id}`);
		expect(res.headers.get("x-request-id")).toBe("my-trace-123");
		expect(res.body.meta).toMatchObject({ version: "1.0.0", request_id: "my-trace-123" });
	});

	test("a customer is read, updated with PUT and PATCH, and deleted", async () => {
		const created = (await api.post(`${base}/customers`, newCustomer())).body.data;

		const read = await api.get(`${base}/customers/${created.id}`);
		expect(read.status).toBe(200);
		expect(read.body.data).toEqual(created);

		const put = await api.put(`${base}/customers/${created.id}`, { company: "Acme" });
		expect(put.status).toBe(200);
		expect(put.body.data).toMatchObject({ company: "Acme", name: created.name, version: 2 });
		const patch = await api.patch(`${base}/customers/${created.id}`, { status: "churned" });
		expect(patch.body.data).toMatchObject({ company: "Acme", status: "churned", version: 3 });

		const removed = await api.delete(`${base}/customers/${created.id}`);
		expect(removed.status).toBe(200);
		expect(removed.body.data).toEqual({ id: created.id, deleted: true });
		expect((await api.get(`${base}/customers/${created.id}`)).status).toBe(404);
	});

	test("validation rules of the design document are enforced field by field", async () => {
		const res = await api.post(`${base}/customers`, {
			name: "",
			email: "not-an-email",
			phone: "call me",
			segment: "huge",
			metadata: [],
		});

		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
		expect(fields).toEqual(["email", "metadata", "name", "phone", "segment"]);
	});

	test("external_id is unique within an organization but not across organizations", async () => {
		const first = await api.post(`${base}/customers`, newCustomer({ external_id: "EXT-1" }));
		const again = await api.post(`${base}/customers`, newCustomer({ external_id: "EXT-1" }));
		const elsewhere = await otherApi.post(
			`/v1/organizations/${other.organization_id}/customers`,
			newCustomer({ external_id: "EXT-1" }),
		);

		expect(first.status).toBe(201);
		expect(again.status).toBe(409);
		expect(again.body.error.code).toBe("CONFLICT");
		expect(elsewhere.status).toBe(201);
	});
});

describe("contacts and interactions", () => {
	test("contacts are created, listed, updated and deleted under their customer", async () => {
		const customer = (await api.post(`${base}/customers`, newCustomer())).body.data;
		const path = `${base}/customers/${customer.id}/contacts`;

		const created = await api.post(path, {
			name: "Maria Anders",
			email: "maria@example.test",
			is_primary: true,
		});
		expect(created.status).toBe(201);
		expect(created.body.data).toMatchObject({
			customer_id: customer.id,
			name: "Maria Anders",
			is_primary: true,
		});

		const list = await api.get(path);
		expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.data.id]);

		const updated = await api.put(`${path}/${created.body.data.id}`, {
			title: "Sales Representative",
		});
		expect(updated.body.data.title).toBe("Sales Representative");

		const moved = await api.put(`${path}/${created.body.data.id}`, {
			customer_id: customer.id,
		});
		expect(moved.status).toBe(400);
		expect(moved.body.error.details[0]).toMatchObject({
			field: "customer_id",
			message: "cannot be changed after creation",
		});

		expect((await api.delete(`${path}/${created.body.data.id}`)).status).toBe(200);
		expect((await api.get(path)).body.data).toEqual([]);
	});

	test("interactions are recorded under their customer with a default time", async () => {
		const customer = (await api.post(`${base}/customers`, newCustomer())).body.data;
		const path = `${base}/customers/${customer.id}/interactions`;

		const created = await api.post(path, {
			type: "call",
			channel: "phone",
			subject: "Renewal",
		});
		expect(created.status).toBe(201);
		expect(Date.parse(created.body.data.occurred_at)).not.toBeNaN();
		expect((await api.get(path)).body.pagination.total).toBe(1);
	});

	test("a child of a missing or foreign customer is 404", async () => {
		const foreign = (
			await otherApi.post(
				`/v1/organizations/${other.organization_id}/customers`,
				newCustomer(),
			)
		).body.data;

		const res = await api.get(`${base}/customers/${foreign.id}/contacts`);
		const post = await api.post(`${base}/customers/${foreign.id}/contacts`, { name: "X" });

		expect(res.status).toBe(404);
		expect(post.status).toBe(404);
	});

	test("deleting a customer deletes its contacts", async () => {
		const customer = (await api.post(`${base}/customers`, newCustomer())).body.data;
		const contact = (
			await api.post(`${base}/customers/${customer.id}/contacts`, { name: "Gone" })
		).body.data;

		await api.delete(`${base}/customers/${customer.id}`);
		const again = (await api.post(`${base}/customers`, newCustomer())).body.data;
		const list = await api.get(`${base}/customers/${again.id}/contacts?id=${contact.id}`);

		expect(list.body.data).toEqual([]);
	});
});

describe("bad requests are refused with a clear error and change nothing", () => {
	test("an unknown query parameter is 400 naming it", async () => {
		const res = await api.get(`${base}/customers?colour=red`);

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{ field: "colour", message: "is not a parameter of this list", value: "red" },
		]);
	});

	test("limit=101 is 400", async () => {
		const res = await api.get(`${base}/customers?limit=101`);

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].field).toBe("limit");
	});

	test("a value outside an enum is 400 listing the allowed values, the rejected one as value", async () => {
		const res = await api.post(`${base}/customers`, newCustomer({ segment: "nope" }));

		expect(res.status).toBe(400);
		expect(res.body.error.details).toEqual([
			{
				field: "segment",
				message: "must be one of: enterprise, mid_market, smb, startup, individual.",
				value: "nope",
			},
		]);
	});

	test("malformed JSON is 400, not 500", async () => {
		const res = await api.request("POST", `${base}/customers`, '{"name": "x",');

		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
	});

	test("a read-only or unknown field in a body is 400 and nothing is stored", async () => {
		const before = (await api.get(`${base}/customers?limit=1`)).body.pagination.total;
		const res = await api.post(
			`${base}/customers`,
			newCustomer({
				id: "mine",
				created_at: "2020-01-01T00:00:00Z",
				organization_id: other.organization_id,
				favourite: 1,
			}),
		);
		const after = (await api.get(`${base}/customers?limit=1`)).body.pagination.total;

		expect(res.status).toBe(400);
		expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
			"created_at",
			"favourite",
			"id",
			"organization_id",
		]);
		expect(after).toBe(before);
	});

	test("a non-JSON body is 415", async () => {
		const res = await api.request("POST", `${base}/customers`, "name=x", {
			"content-type": "application/x-www-form-urlencoded",
		});

		expect(res.status).toBe(415);
		expect(res.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
	});

	test("a body over 1 MB is 413", async () => {
		const res = await api.post(
			`${base}/customers`,
			newCustomer({ metadata: { blob: "x".repeat(1_100_000) } }),
		);

		expect(res.status).toBe(413);
		expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
	});

	test("an unknown method on a known path is 405 with Allow", async () => {
		const res = await api.request("PATCH", `${base}/customers`, {});

		expect(res.status).toBe(405);
		expect(res.headers.get("allow")).toBe("GET, POST");
	});

	test("no credential is 401 and a wrong one too, with WWW-Authenticate", async () => {
		const none = await client(node.url).get(`${base}/customers`);
		const wrong = await client(node.url, "mnx_not-a-real-key").get(`${base}/customers`);

		expect(none.status).toBe(401);
		expect(wrong.status).toBe(401);
		expect(none.headers.get("www-authenticate")).toContain("Bearer");
		expect(JSON.stringify(wrong.body)).not.toContain("stack");
	});
});

describe("versions and ETags", () => {
	test("If-Match with a stale ETag is 412 and the update is not applied", async () => {
		const created = await api.post(`${base}/customers`, newCustomer());
		const etag = created.headers.get("etag") as string;
		await api.put(
			`${base}/customers/${created.body.data.id}`,
			{ company: "First" },
			{ "if-match": etag },
		);

		const stale = await api.put(
			`${base}/customers/${created.body.data.id}`,
			{ company: "Second" },
			{ "if-match": etag },
		);
		const current = await api.get(`${base}/customers/${created.body.data.id}`);

		expect(stale.status).toBe(412);
		expect(stale.body.error.code).toBe("PRECONDITION_FAILED");
		expect(current.body.data.company).toBe("First");
		expect(current.headers.get("etag")).toBe(`"${created.body.data.id}.2"`);
	});
});

describe("tenancy", () => {
	test("another organization's customer is 404 on every verb and never leaks", async () => {
		const theirs = (
			await otherApi.post(
				`/v1/organizations/${other.organization_id}/customers`,
				newCustomer({ name: "Secret" }),
			)
		).body.data;

		for (const res of [
			await api.get(`${base}/customers/${theirs.id}`),
			await api.put(`${base}/customers/${theirs.id}`, { name: "Mine" }),
			await api.delete(`${base}/customers/${theirs.id}`),
		]) {
			expect(res.status).toBe(404);
			expect(JSON.stringify(res.body)).not.toContain("Secret");
		}
		const list = await api.get(`${base}/customers?q=Secret`);
		expect(list.body.data.filter((c: { id: string }) => c.id === theirs.id)).toEqual([]);
	});

	test("a credential used on another organization's path is 404", async () => {
		const res = await api.get(`/v1/organizations/${other.organization_id}/customers`);

		expect(res.status).toBe(404);
		expect(res.body.error.code).toBe("NOT_FOUND");
	});
});

describe("the event log", () => {
	test("every write records its event with the actor, request id and previous_attributes", async () => {
		const created = (
			await api.post(
				`${base}/customers`,
				newCustomer({ name: "Evented", status: "prospect" }),
			)
		).body.data;
		await api.put(
			`${base}/customers/${created.id}`,
			{ name: "Evented Inc", status: "active" },
			{ "x-request-id": "req-update-1" },
		);
		await api.delete(`${base}/customers/${created.id}`);

		const res = await api.get(`${base}/events?sort=id:desc&limit=20`);
		const mine = res.body.data
			.reverse()
			.filter((e: { data: { object: { id: string } } }) => e.data.object.id === created.id);
		const updated = mine.find((e: { type: string }) => e.type === "customer.updated");

		expect(mine.map((e: { type: string }) => e.type)).toEqual([
			"customer.created",
			"customer.updated",
			"customer.status_changed",
			"customer.deleted",
		]);
		expect(updated).toMatchObject({
			organization_id: owner.organization_id,
			request_id: "req-update-1",
			actor: { type: "api_key" },
			data: {
				object: { name: "Evented Inc", status: "active", version: 2 },
				previous_attributes: { name: "Evented", status: "prospect" },
			},
		});
		expect(Object.keys(updated.data.previous_attributes).sort()).toEqual(["name", "status"]);
		expect(updated.id).toMatch(/^evt_/);
		const createdEvent = await api.get(`${base}/events?type=customer.created&limit=100`);
		expect(
			createdEvent.body.data.some(
				(e: { data: { object: { id: string } } }) => e.data.object.id === created.id,
			),
		).toBe(true);
	});

	test("events list by a type pattern: customer.* holds customer events only, and none of contacts", async () => {
		const customer = (await api.post(`${base}/customers`, newCustomer())).body.data;
		await api.post(`${base}/customers/${customer.id}/contacts`, { name: "Pat Pattern" });
		const res = await api.get(`${base}/events?type=customer.*&limit=100`);
		const types = new Set(res.body.data.map((e: { type: string }) => e.type));

		expect(res.status).toBe(200);
		expect(types.has("customer.created")).toBe(true);
		expect([...types].every((t) => String(t).startsWith("customer."))).toBe(true);
	});

	test("another organization's events are not visible", async () => {
		const res = await otherApi.get(
			`/v1/organizations/${other.organization_id}/events?limit=100`,
		);

		expect(
			res.body.data.every(
				(e: { organization_id: string }) => e.organization_id === other.organization_id,
			),
		).toBe(true);
	});
});

describe("persistence", () => {
	test("data survives a restart of the process", async () => {
		const created = (await api.post(`${base}/customers`, newCustomer({ name: "Durable" }))).body
			.data;
		await api.put(`${base}/customers/${created.id}`, { company: "Still here" });

		await node.stop();
		node = await startNode({ DATA_DIR: dataDir });
		api = client(node.url, owner.api_key);
		const read = await api.get(`${base}/customers/${created.id}`);

		expect(read.status).toBe(200);
		expect(read.body.data).toMatchObject({
			name: "Durable",
			company: "Still here",
			version: 2,
		});
	});

	test("a second process on the same DATA_DIR refuses to start with a clear message", async () => {
		await expect(startNode({ DATA_DIR: dataDir })).rejects.toThrow(
			/runs on DATA_DIR .* exactly one copy/,
		);
	});
});
