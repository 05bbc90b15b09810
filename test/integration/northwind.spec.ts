/**
 * `npm run import:northwind` end to end: the real data set into a fresh store through the
 * public API of a gateway process, checked against the CSV files themselves, then run again.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import {
	bootstrap,
	client,
	type Client,
	type GatewayNode,
	type Owner,
	ROOT,
	startNode,
	tempDir,
} from "../helpers/gateway";

const DATA = path.resolve(ROOT, "..", "..", "shared", "data", "northwind");
const NORTHWIND = fs.existsSync(DATA) ? DATA : "/work/shared/data/northwind";

let owner: Owner;
let node: GatewayNode;
let api: Client;
let base: string;
let first: Run;

interface Run {
	status: number;
	// `any` on purpose: the summary is checked field by field.
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	summary: any;
	stderr: string;
}

function runImport(dir = NORTHWIND): Promise<Run> {
	return new Promise((resolve) => {
		const child = spawn(
			path.join(ROOT, "node_modules", ".bin", "tsx"),
			[
				"scripts/import-northwind.ts",
				"--dir",
				dir,
				"--url",
				node.url,
				"--api-key",
				owner.api_key,
			],
			{ cwd: ROOT, env: { ...process.env, LOG_LEVEL: "warn" } },
		);
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => (stdout += d));
		child.stderr.on("data", (d) => (stderr += d));
		child.on("exit", (status) => {
			const last = stdout.trim().split("\n").pop() ?? "";
			resolve({ status: status ?? -1, summary: last ? JSON.parse(last) : null, stderr });
		});
	});
}

async function total(resource: string): Promise<number> {
	return (await api.get(`${base}/${resource}?limit=1`)).body.pagination.total;
}

async function everyOrder(query = ""): Promise<Array<Record<string, any>>> {
	const rows: Array<Record<string, any>> = [];
	let cursor: string | null = null;
	do {
		const res = await api.get(
			`${base}/orders?limit=100&fields=id,external_id,total_amount,order_date,customer_id${query}${cursor ? `&cursor=${cursor}` : ""}`,
		);
		rows.push(...res.body.data);
		cursor = res.body.pagination.next_cursor;
	} while (cursor);

	return rows;
}

/** Order totals in cents straight from the files, by the contract's money rule. */
function expectedTotals(): Map<string, bigint> {
	const lines: string[][] = parse(
		fs.readFileSync(path.join(NORTHWIND, "order-details.csv"), "utf8"),
		{ from_line: 2 },
	);
	const totals = new Map<string, bigint>();
	for (const [orderId, , unitPrice, quantity, discount] of lines) {
		const unit = BigInt(Math.round(Number(unitPrice) * 100));
		const keep = 1_000_000n - BigInt(Math.round(Number(discount) * 1_000_000));
		const exact = unit * BigInt(quantity) * keep;
		const line = exact / 1_000_000n + ((exact % 1_000_000n) * 2n >= 1_000_000n ? 1n : 0n);
		totals.set(orderId, (totals.get(orderId) ?? 0n) + line);
	}
	// Freight is the 8th column: left of every free-text field, so commas never shift it.
	const orders: string[][] = parse(fs.readFileSync(path.join(NORTHWIND, "orders.csv"), "utf8"), {
		from_line: 2,
		relax_column_count: true,
	});
	for (const row of orders)
		totals.set(row[0], (totals.get(row[0]) ?? 0n) + BigInt(Math.round(Number(row[7]) * 100)));

	return totals;
}

function cents(amount: number): bigint {
	return BigInt(Math.round(amount * 100));
}

beforeAll(async () => {
	const dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Northwind Traders");
	node = await startNode({ DATA_DIR: dataDir });
	api = client(node.url, owner.api_key);
	base = `/v1/organizations/${owner.organization_id}`;
	first = await runImport();
}, 600_000);

afterAll(async () => {
	await node?.stop();
});

describe("the Northwind import", () => {
	test("loads 91 customers, 77 products and 830 orders with 2,155 lines, recovering the comma rows", async () => {
		expect(first.status).toBe(0);
		expect(first.summary).toMatchObject({
			customers: { rows: 91, recovered: 24, rejected: 0, created: 91 },
			products: { rows: 77, created: 77 },
			orders: { rows: 830, recovered: 176, rejected: 0, lines: 2155, created: 830 },
			rejected_rows: [],
			failures: [],
		});
		expect(await total("customers")).toBe(91);
		expect(await total("products")).toBe(77);
		expect(await total("orders")).toBe(830);
	});

	test("addresses with an unquoted comma arrive whole", async () => {
		const bolid = await api.get(`${base}/customers?external_id=BOLID`);
		const order = await api.get(`${base}/orders?external_id=10326`);

		expect(bolid.body.data[0].address).toMatchObject({
			line1: "C/ Araquil, 67",
			city: "Madrid",
			postal_code: "28023",
			country: "Spain",
		});
		expect(bolid.body.data[0].name).toBe("Bólido Comidas preparadas");
		expect(order.body.data[0].shipping_address).toMatchObject({
			line1: "C/ Araquil, 67",
			city: "Madrid",
		});
	});

	test("each order's total equals its lines by the money rule plus freight, as the CSV says", async () => {
		const expected = expectedTotals();
		const orders = await everyOrder();
		const sample = orders.filter((_, i) => i % 23 === 0);

		expect(sample.length).toBeGreaterThan(30);
		for (const order of sample)
			expect([order.external_id, cents(order.total_amount)]).toEqual([
				order.external_id,
				expected.get(order.external_id),
			]);
	});

	test("sales by month sum to the grand total of the orders", async () => {
		const orders = await everyOrder();
		const grand = orders.reduce((sum, o) => sum + cents(o.total_amount), 0n);
		const csvGrand = [...expectedTotals().values()].reduce((a, b) => a + b, 0n);
		const res = await api.get(`${base}/analytics/sales?group_by=month`);
		const months = res.body.data.groups.reduce(
			(sum: bigint, g: { total: number }) => sum + cents(g.total),
			0n,
		);

		expect(res.body.data.groups).toHaveLength(23);
		expect(months).toBe(grand);
		expect(grand).toBe(csvGrand);
		expect(res.body.data.totals).toEqual([
			expect.objectContaining({ currency: "USD", orders: 830 }),
		]);
	});

	test("ALFKI's analytics match its orders", async () => {
		const alfki = (await api.get(`${base}/customers?external_id=ALFKI`)).body.data[0];
		const orders = (await api.get(`${base}/customers/${alfki.id}/orders?limit=100`)).body.data;
		const analytics = (await api.get(`${base}/customers/${alfki.id}/analytics`)).body.data;
		const spent = orders.reduce(
			(s: bigint, o: { total_amount: number }) => s + cents(o.total_amount),
			0n,
		);

		expect(orders).toHaveLength(6);
		expect(analytics.total_orders).toBe(6);
		expect(cents(analytics.total_spent)).toBe(spent);
		expect(analytics.total_spent).toBe(4498.58);
		expect(analytics.average_order_value).toBe(749.76);
		expect(analytics.last_order_date).toBe(
			orders
				.map((o: { order_date: string }) => o.order_date)
				.sort()
				.pop(),
		);
	});

	test("imported orders carry the file's history: shipped ones with their carrier", async () => {
		const shipped = (await api.get(`${base}/orders?external_id=10248`)).body.data[0];
		const open = await api.get(`${base}/orders?status=confirmed&limit=1`);

		expect(shipped).toMatchObject({
			status: "shipped",
			carrier: "Federal Shipping",
			order_date: "1996-07-04",
			shipped_at: "1996-07-16T00:00:00.000Z",
		});
		expect(open.body.pagination.total).toBe(21);
	});

	test("a second import creates nothing", async () => {
		const events = async () =>
			(
				await api.get(
					`${base}/events?type_in=customer.created,order.created,product.created&limit=1`,
				)
			).body.pagination.total;
		const before = await events();

		const again = await runImport();

		expect(again.status).toBe(0);
		expect(again.summary).toMatchObject({
			customers: { created: 0, existing: 91 },
			products: { created: 0, updated: 0, unchanged: 77 },
			orders: { created: 0, existing: 830, workflow_steps: 0 },
		});
		expect(await events()).toBe(before);
		expect(await total("orders")).toBe(830);
	}, 120_000);

	test("a row that cannot be read is reported by file and line, and the rest still loads", async () => {
		const dir = tempDir("northwind-broken-");
		for (const file of fs.readdirSync(NORTHWIND))
			fs.copyFileSync(path.join(NORTHWIND, file), path.join(dir, file));
		fs.appendFileSync(path.join(dir, "customers.csv"), "BROKN,Half a row,Someone\n");

		const run = await runImport(dir);

		expect(run.status).toBe(1);
		expect(run.summary.rejected_rows).toEqual([
			{ file: "customers.csv", line: 93, reason: "has 3 fields, the header 11" },
		]);
		expect(run.summary.customers).toMatchObject({ rows: 91, existing: 91, created: 0 });
	}, 120_000);

	test("a --dir without the CSVs fails with one line saying what --dir must hold", async () => {
		const dir = tempDir("northwind-empty-");

		const run = await runImport(dir);

		expect(run.status).toBe(1);
		expect(run.stderr.trim()).toBe(
			`import:northwind failed: ${dir} holds no customers.csv: point --dir at the folder holding the Northwind CSVs`,
		);
	});
});
