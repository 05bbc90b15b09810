/**
 * What a benchmark run needs in the store before it measures: an organization, an API key whose
 * own limit the run cannot exhaust (the limiter still runs on every request), customers to read,
 * and the Northwind data set when its import command is on this branch.
 */
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import { bootstrap, client, type Owner, ROOT } from "../../test/helpers/gateway";

const execFileAsync = promisify(execFile);

export const SEED_CUSTOMERS = 1000;
const SEGMENTS = ["enterprise", "mid_market", "smb", "startup", "individual"];
/**
 * Well above what a run sends (more than the enterprise plan's 100,000 per hour), so the owner
 * key gets it from bootstrap: only an operator may give a key more than its plan's quota.
 */
const BENCH_KEY_LIMIT = 10_000_000;
/** The data set beside the repository (`../shared`), or beside the folder of worktrees. */
const NORTHWIND_DIR =
	process.env.BENCH_NORTHWIND_DIR ??
	[path.resolve(ROOT, ".."), path.resolve(ROOT, "..", "..")]
		.map((dir) => path.join(dir, "shared", "data", "northwind"))
		.find((dir) => fs.existsSync(dir)) ??
	path.resolve(ROOT, "..", "shared", "data", "northwind");

/** The organization, its owner key limited to BENCH_KEY_LIMIT per hour (the bench's key). */
export function bootstrapOrg(dataDir: string): Owner {
	return bootstrap(
		{ DATA_DIR: dataDir },
		"Bench Trading",
		undefined,
		"enterprise",
		BENCH_KEY_LIMIT,
	);
}

/** Creates SEED_CUSTOMERS customers in one bulk request; returns their ids. */
export async function seedCustomers(url: string, key: string, orgId: string): Promise<string[]> {
	const items = Array.from({ length: SEED_CUSTOMERS }, (_, i) => ({
		name: `Seed customer ${i}`,
		email: `seed-${i}@bench.example`,
		segment: SEGMENTS[i % SEGMENTS.length],
		external_id: `SEED-${i}`,
	}));
	const res = await client(url, key).post(`/v1/organizations/${orgId}/customers/bulk`, { items });
	if (res.status !== 200 || res.body.data.failed)
		throw new Error(`seeding failed: ${res.status} ${JSON.stringify(res.body.error ?? {})}`);

	return res.body.data.results.map((r: { id: string }) => r.id);
}

/** `npm run import:northwind` when this branch has it; a note otherwise. */
export async function importNorthwind(
	url: string,
	key: string,
): Promise<{ ok: boolean; note: string }> {
	const script = path.join(ROOT, "scripts", "import-northwind.ts");
	if (!fs.existsSync(script))
		return { ok: false, note: "scripts/import-northwind.ts is not on this branch yet" };
	if (!fs.existsSync(NORTHWIND_DIR))
		return { ok: false, note: `no Northwind data at ${NORTHWIND_DIR}` };
	const started = Date.now();
	// Asynchronous on purpose: a blocked event loop here would stop reading the gateway's output
	// pipe, and a gateway whose log pipe is full stops answering.
	const args = [
		"--import",
		"tsx",
		script,
		"--dir",
		NORTHWIND_DIR,
		"--url",
		url,
		"--api-key",
		key,
	];
	try {
		await execFileAsync(process.execPath, args, {
			cwd: ROOT,
			timeout: 180_000,
			maxBuffer: 16 * 1024 * 1024,
		});
	} catch (err) {
		return {
			ok: false,
			note:
				`import failed: ` +
				`${String((err as { stderr?: string }).stderr ?? err).slice(-300)}`,
		};
	}

	return { ok: true, note: `imported in ${((Date.now() - started) / 1000).toFixed(1)} s` };
}
