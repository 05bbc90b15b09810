/**
 * The Python SDK's own suite (`python3 -m unittest discover` in sdk/python) against a real
 * gateway: this spec starts the gateway, bootstraps an organization, hands the suite the URL,
 * key and organization id through the environment, and passes when the suite does.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { organizationGateway, type OrganizationGateway, ROOT } from "../helpers/gateway";

let gw: OrganizationGateway;

beforeAll(async () => {
	// The suite's webhook receiver listens on 127.0.0.1.
	gw = await organizationGateway("SDK Python", { WEBHOOK_ALLOW_PRIVATE: "true" });
});

afterAll(async () => {
	await gw?.node.stop();
});

/** Runs the suite to its end; resolves with its exit code and everything it printed. */
function unittest(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
	const child = spawn("python3", ["-m", "unittest", "discover", "-v"], {
		cwd: path.join(ROOT, "sdk", "python"),
		env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...env },
	});
	let output = "";
	child.stdout.on("data", (d) => (output += d));
	child.stderr.on("data", (d) => (output += d));

	return new Promise((resolve, reject) => {
		child.once("error", reject);
		child.once("close", (code) => resolve({ code, output }));
	});
}

test("the Python SDK's unittest suite passes against a running gateway", async () => {
	const run = await unittest({
		MANTIS_BASE_URL: gw.node.url,
		MANTIS_API_KEY: gw.owner.api_key,
		MANTIS_ORGANIZATION_ID: gw.owner.organization_id,
	});
	const ran = Number(/^Ran (\d+) tests?/m.exec(run.output)?.[1] ?? 0);

	// The whole output on failure: which Python test failed, and why.
	if (run.code !== 0) throw new Error(`python3 -m unittest exited ${run.code}:\n${run.output}`);
	expect(run.code).toBe(0);
	expect(ran).toBeGreaterThanOrEqual(20);
	expect(run.output).not.toMatch(/skipped/);
}, 180_000);
