/**
 * Bulk writes over real HTTP: customers bulk with per-item results, and the streamed product
 * import (CSV, NDJSON, JSON array; upsert by sku; errors by row) and export (CSV, NDJSON).
 */
import { parse } from "csv-parse/sync";
import { eventsOf } from "../helpers/events";
import {
	type Client,
	type GatewayNode,
	organizationGateway,
	type Owner,
	type Reply,
} from "../helpers/gateway";

let owner: Owner;
let node: GatewayNode;
let api: Client;
let base: string;

beforeAll(async () => {
	({ owner, node, api, base } = await organizationGateway("Bulk Org"));
});

afterAll(async () => {
	await node?.stop();
});

function importProducts(body: string, type: string): Promise<Reply> {
	return api.post(`${base}/products/bulk-import`, body, { "content-type": type });
}

async function product(sku: string) {
	return (await api.get(`${base}/products?sku=${sku}`)).body.data[0];
}

describe("customers bulk", () => {
	test("valid items commit while invalid ones are reported by index", async () => {
		const res = await api.post(`${base}/customers/bulk`, {
			items: [
				{ name: "Bulk One", segment: "smb", external_id: "B-1" },
				{ name: "", segment: "smb" },
				{ name: "Bulk Three", segment: "galactic" },
				{ name: "Bulk Four", segment: "enterprise", external_id: "B-1" },
				{ name: "Bulk Five", segment: "startup" },
			],
		});

		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({ succeeded: 2, failed: 3 });
		expect(
			res.body.data.results.map(
				(r: { index: number; status: string; error?: { code: string } }) => [
					r.index,
					r.status,
					r.error?.code ?? null,
				],
			),
		).toEqual([
			[0, "created", null],
			[1, "failed", "VALIDATION_ERROR"],
			[2, "failed", "VALIDATION_ERROR"],
			[3, "failed", "CONFLICT"],
			[4, "created", null],
		]);
		expect((await api.get(`${base}/customers?q=Bulk&limit=10`)).body.pagination.total).toBe(2);
	});

	test("bulk update and delete answer item by item too", async () => {
		const created = (
			await api.post(`${base}/customers/bulk`, {
				items: [
					{ name: "Up A", segment: "smb" },
					{ name: "Up B", segment: "smb" },
				],
			})
		).body.data.results.map((r: { id: string }) => r.id);

		const updated = await api.put(`${base}/customers/bulk`, {
			items: [
				{ id: created[0], status: "churned" },
				{ id: "00000000-0000-4000-8000-000000000000", status: "churned" },
			],
		});
		const removed = await api.delete(`${base}/customers/bulk`, { ids: [created[1], "nope"] });

		expect(updated.body.data.results.map((r: { status: string }) => r.status)).toEqual([
			"updated",
			"failed",
		]);
		expect(await eventsOf(api, base, created[0], ["customer.updated"])).toEqual([
			["customer.updated", { status: "active" }],
		]);
		expect(removed.body.data.results.map((r: { status: string }) => r.status)).toEqual([
			"deleted",
			"failed",
		]);
	});
});

describe("products bulk import", () => {
	test("CSV rows are created; a malformed row and an invalid one are reported by row and line", async () => {
		const csv = [
			"sku,name,price,category,stock,is_active",
			"CSV-1,Chai,18.00,Beverages,39,true",
			"CSV-2,Chang,19,Beverages,17,true",
			"CSV-3,Broken row,5",
			"CSV-4,Aniseed Syrup,ten,Condiments,13,true",
			'CSV-5,"Chef Anton\'s Cajun Seasoning, mild",22,Condiments,53,false',
			"",
		].join("\n");

		const res = await importProducts(csv, "text/csv");

		expect(res.status).toBe(200);
		expect(res.body.data).toMatchObject({ rows: 5, created: 3, updated: 0, failed: 2 });
		expect(
			res.body.data.errors.map(
				(e: { row: number; line: number; details: Array<{ field: string }> }) => [
					e.row,
					e.line,
					e.details[0].field,
				],
			),
		).toEqual([
			[3, 4, "row"],
			[4, 5, "price"],
		]);
		expect(await product("CSV-5")).toMatchObject({
			name: "Chef Anton's Cajun Seasoning, mild",
			price: 22,
			stock: 53,
			is_active: false,
		});
		expect(await product("CSV-3")).toBeUndefined();
	});

	test("a second import upserts by sku: changed rows update, the same rows stay unchanged", async () => {
		const rows = [
			{ sku: "ND-1", name: "Tofu", price: 23.25 },
			{ sku: "ND-2", name: "Konbu", price: 6 },
		];
		const ndjson = (items: unknown[]) => items.map((r) => JSON.stringify(r)).join("\n");
		const first = await importProducts(ndjson(rows), "application/x-ndjson");
		const before = await product("ND-1");

		const second = await importProducts(
			ndjson([{ ...rows[0], price: 25 }, rows[1], "not an object"]),
			"application/x-ndjson",
		);

		expect(first.body.data).toMatchObject({ created: 2, failed: 0 });
		expect(second.body.data).toMatchObject({ created: 0, updated: 1, unchanged: 1, failed: 1 });
		expect(second.body.data.errors[0]).toMatchObject({ row: 3, line: 3 });
		expect(await product("ND-1")).toMatchObject({ price: 25, version: 2 });
		expect(await eventsOf(api, base, before.id)).toEqual([
			["product.created", null],
			["product.updated", { price: 23.25 }],
		]);
	});

	test("a JSON array imports row by row; a row without a sku is reported by number", async () => {
		const res = await importProducts(
			JSON.stringify([
				{ sku: "JS-1", name: "Ikura", price: 31 },
				{ name: "No sku", price: 1 },
				{ sku: "JS-3", name: "Queso", price: 21, colour: "yellow" },
			]),
			"application/json",
		);

		expect(res.body.data).toMatchObject({ rows: 3, created: 1, failed: 2 });
		expect(
			res.body.data.errors.map((e: { row: number; details: Array<{ field: string }> }) => [
				e.row,
				e.details[0].field,
			]),
		).toEqual([
			[2, "sku"],
			[3, "colour"],
		]);
	});

	test("a body that is not CSV, NDJSON or JSON is 415", async () => {
		const res = await importProducts("<products/>", "application/xml");

		expect(res.status).toBe(415);
	});
});

describe("products bulk export", () => {
	test("CSV export streams every product with a header, and imports back unchanged", async () => {
		const res = await fetch(`${node.url}${base}/products/bulk-export?format=csv`, {
			headers: { authorization: `Bearer ${owner.api_key}` },
		});
		const text = await res.text();
		const rows: Array<Record<string, string>> = parse(text, { columns: true });
		const total = (await api.get(`${base}/products?limit=1`)).body.pagination.total;

		expect(res.headers.get("content-type")).toContain("text/csv");
		expect(rows).toHaveLength(total);
		expect(rows.find((r) => r.sku === "CSV-5")).toMatchObject({
			name: "Chef Anton's Cajun Seasoning, mild",
			price: "22",
			is_active: "false",
		});

		const again = await importProducts(text, "text/csv");
		expect(again.body.data).toMatchObject({ rows: total, unchanged: total, failed: 0 });
	});

	test("NDJSON export gives one product per line", async () => {
		const res = await fetch(`${node.url}${base}/products/bulk-export?format=ndjson`, {
			headers: { authorization: `Bearer ${owner.api_key}` },
		});
		const lines = (await res.text())
			.trim()
			.split("\n")
			.map((l) => JSON.parse(l));

		expect(res.headers.get("content-type")).toContain("application/x-ndjson");
		expect(lines.map((p: { sku: string }) => p.sku)).toContain("ND-2");
		expect((await api.get(`${base}/products/bulk-export?format=xml`)).status).toBe(400);
	});
});
