/**
 * `npm run import:northwind -- --dir DIR --url URL --api-key KEY [--org ORG_ID]`
 *
 * Loads the Northwind customers, products and orders (with their lines) through the public
 * REST API of a running gateway, and prints one JSON line of counts. Idempotent: customers and
 * orders are matched by `external_id`, products by `sku`, orders are walked only as far as
 * their state is behind the file, so a second run creates nothing. Rows that cannot be read
 * are listed by file and line; the exit status is 1 when anything failed or was rejected.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { Api, eachLimited } from "./northwind/api";
import {
	customerBody,
	orderBody,
	productBody,
	stepsBetween,
	targetStatus,
} from "./northwind/mapping";
import { readTable, type RejectedRow, type Row, SPECS, type Table } from "./northwind/tables";

const USAGE = "usage: npm run import:northwind -- --dir DIR --url URL --api-key KEY [--org ORG_ID]";
const BULK_CHUNK = 100;
const CONCURRENCY = 6;

interface Failure {
	what: string;
	key: string;
	error: string;
}

const failures: Failure[] = [];

function fail(what: string, key: string, error: unknown): void {
	const text = typeof error === "string" ? error : JSON.stringify(error);
	failures.push({ what, key, error: text.slice(0, 500) });
}

function chunks<T>(items: T[], size: number): T[][] {
	return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
		items.slice(i * size, (i + 1) * size),
	);
}

function readArgs(): { dir: string; url: string; key: string; org?: string } {
	const { values } = parseArgs({
		options: {
			dir: { type: "string" },
			url: { type: "string" },
			"api-key": { type: "string" },
			org: { type: "string" },
		},
	});
	if (!values.dir || !values.url || !values["api-key"]) throw new Error(USAGE);
	// The data set is not in the repository; a wrong folder should say so, not ENOENT.
	if (!fs.existsSync(path.join(values.dir, "customers.csv")))
		throw new Error(
			`${values.dir} holds no customers.csv: point --dir at the folder holding the ` +
				`Northwind CSVs`,
		);

	return {
		dir: values.dir,
		url: values.url.replace(/\/+$/, ""),
		key: values["api-key"],
		org: values.org,
	};
}

/** The key's organization: it is on every row the key can list, its own keys included. */
async function organizationOf(api: Api): Promise<string> {
	const keys = await api.ok<Array<{ organization_id: string }>>(
		"GET",
		"/v1/auth/api-keys?limit=1",
	);
	if (!keys[0]) throw new Error("cannot tell the key's organization; pass --org");

	return keys[0].organization_id;
}

/** Creates the customers whose code is not there yet; answers code → id for all of them. */
async function loadCustomers(api: Api, base: string, table: Table) {
	const ids = new Map<string, string>();
	const existing = await api.all<{ id: string; external_id: string | null }>(
		`${base}/customers`,
		"fields=id,external_id",
	);
	existing.forEach((c) => c.external_id && ids.set(c.external_id, c.id));
	const missing = table.rows.filter(({ row }) => !ids.has(row.customerID as string));
	let created = 0;
	for (const batch of chunks(missing, BULK_CHUNK)) {
		const result = await api.ok<{
			results: Array<{ index: number; id?: string; error?: unknown }>;
		}>("POST", `${base}/customers/bulk`, { items: batch.map(({ row }) => customerBody(row)) });
		for (const r of result.results) {
			const code = batch[r.index].row.customerID as string;
			if (r.id) ids.set(code, r.id);
			if (r.id) created++;
			else fail("customer", code, r.error);
		}
	}

	return { ids, counts: { created, existing: table.rows.length - missing.length } };
}

/** Upserts every product by sku through the streamed bulk import; answers sku → id. */
async function loadProducts(api: Api, base: string, table: Table, categories: Table) {
	const names = new Map(
		categories.rows.map(({ row }) => [row.categoryID as string, row.categoryName as string]),
	);
	const ndjson = table.rows.map(({ row }) => JSON.stringify(productBody(row, names))).join("\n");
	const result = await api.ok<{
		created: number;
		updated: number;
		unchanged: number;
		failed: number;
		errors: Array<{ row: number; message: string; details: unknown }>;
	}>("POST", `${base}/products/bulk-import`, ndjson, "application/x-ndjson");
	for (const e of result.errors) fail("product", String(table.rows[e.row - 1]?.row.productID), e);
	const listed = await api.all<{ id: string; sku: string }>(`${base}/products`, "fields=id,sku");
	const ids = new Map(listed.map((p) => [p.sku, p.id]));
	const { created, updated, unchanged } = result;

	return { ids, counts: { created, updated, unchanged } };
}

interface OrderInput {
	row: Row;
	lines: Row[];
}

async function loadOrders(
	api: Api,
	base: string,
	orders: OrderInput[],
	customers: Map<string, string>,
	products: Map<string, string>,
	shippers: Map<string, string>,
) {
	const state = new Map<string, { id: string; status: string }>();
	const listed = await api.all<{ id: string; external_id: string; status: string }>(
		`${base}/orders`,
		"fields=id,external_id,status",
	);
	listed.forEach((o) => o.external_id && state.set(o.external_id, o));
	const missing = orders.filter(({ row }) => !state.has(row.orderID as string));
	let created = 0;
	for (const batch of chunks(missing, BULK_CHUNK)) {
		const items = batch.map(({ row, lines }) =>
			orderBody(row, lines, customers.get(row.customerID as string) ?? "", products),
		);
		const result = await api.ok<{
			results: Array<{ index: number; id?: string; error?: unknown }>;
		}>("POST", `${base}/orders/bulk`, { items });
		for (const r of result.results) {
			const key = batch[r.index].row.orderID as string;
			if (r.id) state.set(key, { id: r.id, status: "draft" });
			if (r.id) created++;
			else fail("order", key, r.error);
		}
	}

	let steps = 0;
	await eachLimited(orders, CONCURRENCY, async ({ row }) => {
		const current = state.get(row.orderID as string);
		if (!current) return;
		for (const { step, body } of stepsBetween(
			current.status,
			targetStatus(row),
			row,
			shippers,
		)) {
			const reply = await api.request("POST", `${base}/orders/${current.id}/${step}`, body);
			if (reply.status !== 200)
				return fail(`order ${step}`, row.orderID as string, reply.body);
			steps++;
		}
	});

	return { created, existing: orders.length - missing.length, workflow_steps: steps };
}

function linesByOrder(details: Table): Map<string, Row[]> {
	const byOrder = new Map<string, Row[]>();
	for (const { row } of details.rows) {
		const list = byOrder.get(row.orderID as string) ?? [];
		list.push(row);
		byOrder.set(row.orderID as string, list);
	}

	return byOrder;
}

async function main(): Promise<void> {
	const args = readArgs();
	const t = {
		customers: readTable(args.dir, SPECS.customers),
		categories: readTable(args.dir, SPECS.categories),
		products: readTable(args.dir, SPECS.products),
		shippers: readTable(args.dir, SPECS.shippers),
		orders: readTable(args.dir, SPECS.orders),
		details: readTable(args.dir, SPECS.orderDetails),
	};
	const rejected: RejectedRow[] = Object.values(t).flatMap((table) => table.rejected);
	const api = new Api(args.url, args.key);
	const base = `/v1/organizations/${args.org ?? (await organizationOf(api))}`;

	const customers = await loadCustomers(api, base, t.customers);
	const products = await loadProducts(api, base, t.products, t.categories);
	const lines = linesByOrder(t.details);
	const shippers = new Map(
		t.shippers.rows.map(({ row }) => [row.shipperID as string, row.companyName as string]),
	);
	const orders = await loadOrders(
		api,
		base,
		t.orders.rows.map(({ row }) => ({ row, lines: lines.get(row.orderID as string) ?? [] })),
		customers.ids,
		products.ids,
		shippers,
	);

	const read = (table: Table) => ({
		rows: table.rows.length,
		recovered: table.recovered,
		rejected: table.rejected.length,
	});
	const summary = {
		customers: { ...read(t.customers), ...customers.counts },
		products: { ...read(t.products), ...products.counts },
		orders: { ...read(t.orders), lines: t.details.rows.length, ...orders },
		rejected_rows: rejected,
		failures,
	};
	process.stdout.write(`${JSON.stringify(summary)}\n`);
	if (failures.length || rejected.length) process.exitCode = 1;
}

main().catch((err: Error) => {
	console.error(`import:northwind failed: ${err.message}`);
	process.exit(1);
});
