/**
 * Tickets and documents over real HTTP: ticket states by PUT; document uploads (raw and
 * multipart), their size and type limits, download, expiring share links, deletion.
 */
import crypto from "node:crypto";
import { eventsOf } from "../helpers/events";
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	type Reply,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { checkEveryTransition } from "../helpers/workflow";

let owner: Owner;
let other: Owner;
let node: GatewayNode;
let api: Client;
let base: string;

const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n"), crypto.randomBytes(2000)]);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MB = 1024 * 1024;

beforeAll(async () => {
	const dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Support Org");
	other = bootstrap({ DATA_DIR: dataDir }, "Elsewhere Org");
	node = await startNode({ DATA_DIR: dataDir });
	api = client(node.url, owner.api_key);
	base = `/v1/organizations/${owner.organization_id}`;
});

afterAll(async () => {
	await node?.stop();
});

/** A raw upload; `fetch` sends the Content-Length of a Buffer body. */
async function upload(body: Buffer, type: string, query = "name=report.pdf", key = owner.api_key) {
	const res = await fetch(`${node.url}${base}/documents?${query}`, {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": type },
		body,
	});

	return { status: res.status, body: (await res.json()) as Reply["body"] };
}

async function multipart(form: FormData) {
	const res = await fetch(`${node.url}${base}/documents`, {
		method: "POST",
		headers: { authorization: `Bearer ${owner.api_key}` },
		body: form,
	});

	return { status: res.status, body: (await res.json()) as Reply["body"] };
}

describe("tickets", () => {
	const STATES = ["open", "pending", "resolved", "closed"];
	const put = (status: string) => (id: string) => api.put(`${base}/tickets/${id}`, { status });

	test.each(STATES)("from %s exactly the contract's steps are allowed", async (state) => {
		await checkEveryTransition(
			{
				steps: Object.fromEntries(STATES.map((s) => [s, put(s)])),
				path: {
					open: [],
					pending: ["pending"],
					resolved: ["resolved"],
					closed: ["resolved", "closed"],
				},
				allowed: {
					open: ["pending", "resolved"],
					pending: ["open", "resolved"],
					resolved: ["closed", "open"],
					closed: [],
				},
				create: async () =>
					(await api.post(`${base}/tickets`, { subject: "Help" })).body.data.id,
				stateOf: async (id) => (await api.get(`${base}/tickets/${id}`)).body.data.status,
				putDriven: true,
			},
			state,
		);
	});

	test("resolving and closing are time-stamped and recorded with the previous status", async () => {
		const ticket = (await api.post(`${base}/tickets`, { subject: "Broken", priority: "high" }))
			.body.data;
		const resolved = await put("resolved")(ticket.id);
		const closed = await put("closed")(ticket.id);

		expect(Date.parse(resolved.body.data.resolved_at)).not.toBeNaN();
		expect(Date.parse(closed.body.data.closed_at)).not.toBeNaN();
		expect(
			await eventsOf(api, base, ticket.id, ["ticket.created", "ticket.status_changed"]),
		).toEqual([
			["ticket.created", null],
			["ticket.status_changed", { status: "open" }],
			["ticket.status_changed", { status: "resolved" }],
		]);
		expect((await api.delete(`${base}/tickets/${ticket.id}`)).status).toBe(405);
	});
});

describe("documents", () => {
	test("a raw upload is stored with its type, size and hash and downloads byte for byte", async () => {
		const res = await upload(PDF, "application/pdf");
		const download = await fetch(`${node.url}${base}/documents/${res.body.data.id}/download`, {
			headers: { authorization: `Bearer ${owner.api_key}` },
		});
		const bytes = Buffer.from(await download.arrayBuffer());

		expect(res.status).toBe(201);
		expect(res.body.data).toMatchObject({
			name: "report.pdf",
			content_type: "application/pdf",
			size: PDF.length,
			sha256: crypto.createHash("sha256").update(PDF).digest("hex"),
		});
		expect(download.headers.get("content-type")).toBe("application/pdf");
		expect(download.headers.get("content-disposition")).toContain('filename="report.pdf"');
		expect(bytes.equals(PDF)).toBe(true);
	});

	test("a multipart upload takes the file part and the form's fields", async () => {
		const form = new FormData();
		form.append("description", "Signed contract");
		form.append("file", new Blob([PDF], { type: "application/pdf" }), "contract.pdf");

		const res = await multipart(form);

		expect(res.status).toBe(201);
		expect(res.body.data).toMatchObject({
			name: "contract.pdf",
			description: "Signed contract",
			size: PDF.length,
		});
	});

	test("a file of exactly 10 MB is accepted; one byte more is 413, raw or multipart", async () => {
		const exact = Buffer.concat([PNG_SIGNATURE, Buffer.alloc(10 * MB - PNG_SIGNATURE.length)]);
		const over = Buffer.concat([exact, Buffer.alloc(1)]);
		const form = new FormData();
		form.append("file", new Blob([over], { type: "image/png" }), "big.png");

		expect((await upload(exact, "image/png", "name=big.png")).status).toBe(201);
		const raw = await upload(over, "image/png", "name=big.png");
		const parts = await multipart(form);

		expect(raw.status).toBe(413);
		expect(raw.body.error.code).toBe("PAYLOAD_TOO_LARGE");
		expect(parts.status).toBe(413);
	});

	test("a type outside the list, or content that is not what the type says, is 415", async () => {
		const html = await upload(
			Buffer.from("<script>alert(1)</script>"),
			"text/html",
			"name=x.html",
		);
		const fake = await upload(Buffer.from("not really a png"), "image/png", "name=x.png");

		expect(html.status).toBe(415);
		expect(fake.status).toBe(415);
		expect(fake.body.error.details[0]).toMatchObject({ field: "content_type" });
	});

	test("a share link downloads without a credential until it expires", async () => {
		const doc = (await upload(PDF, "application/pdf", "name=shared.pdf")).body.data;

		const shared = await api.post(`${base}/documents/${doc.id}/share`, { expires_in: 2 });
		const { url } = shared.body.data;
		const before = await fetch(url);
		const bytes = Buffer.from(await before.arrayBuffer());
		await new Promise((r) => setTimeout(r, 2500));
		const after = await fetch(url);

		expect(shared.status).toBe(200);
		expect(url).toMatch(new RegExp(`^${node.url}/v1/shared/documents/`));
		expect(before.status).toBe(200);
		expect(bytes.equals(PDF)).toBe(true);
		expect(after.status).toBe(404);
	});

	test("a tampered link is refused", async () => {
		const doc = (await upload(PDF, "application/pdf")).body.data;
		const { url } = (await api.post(`${base}/documents/${doc.id}/share`, {})).body.data;
		const [payload, signature] = url.split("/").pop().split(".");
		const decoded = Buffer.from(payload, "base64url")
			.toString()
			.replace(/\.(\d+)$/, ".9999999999");
		const stretched = `${Buffer.from(decoded).toString("base64url")}.${signature}`;

		expect((await fetch(`${node.url}/v1/shared/documents/${stretched}`)).status).toBe(404);
		expect((await fetch(`${url}x`)).status).toBe(404);
	});

	test("another organization cannot read or share a document", async () => {
		const doc = (await upload(PDF, "application/pdf")).body.data;
		const elsewhere = client(node.url, other.api_key);
		const otherBase = `/v1/organizations/${other.organization_id}`;

		expect((await elsewhere.get(`${otherBase}/documents/${doc.id}`)).status).toBe(404);
		expect((await elsewhere.get(`${base}/documents/${doc.id}/download`)).status).toBe(404);
		expect((await elsewhere.post(`${otherBase}/documents/${doc.id}/share`, {})).status).toBe(
			404,
		);
	});

	test("deleting a document removes it; uploads, shares and deletes are recorded", async () => {
		const doc = (await upload(PDF, "application/pdf", "name=gone.pdf")).body.data;
		await api.post(`${base}/documents/${doc.id}/share`, {});

		const removed = await api.delete(`${base}/documents/${doc.id}`);

		expect(removed.body.data).toEqual({ id: doc.id, deleted: true });
		expect((await api.get(`${base}/documents/${doc.id}/download`)).status).toBe(404);
		expect((await eventsOf(api, base, doc.id)).map(([type]) => type)).toEqual([
			"document.uploaded",
			"document.shared",
			"document.deleted",
		]);
	});
});
