import { spawnSync } from "node:child_process";
import path from "node:path";
import { ConfigError, loadConfig } from "../../models/config";
import { ROOT } from "../helpers/gateway";

describe("configuration", () => {
	test("the embedded default needs no variable at all", () => {
		const config = loadConfig({});

		expect(config).toMatchObject({
			port: 3000,
			transporter: undefined,
			cacher: "memory",
			metricsPort: 3030,
			webhookAllowPrivate: false,
		});
		expect(config.dataDir).toBe(path.resolve("./data"));
	});

	test.each([
		["PORT", "abc", /PORT must be a whole number/],
		["TRANSPORTER", "kafka://x", /TRANSPORTER must start with redis:\/\/ or/],
		["CACHER", "disk", /CACHER must be a URL/],
		["SERVICES", "api,Bad Name", /SERVICES has an invalid service name "Bad Name"/],
		["WEBHOOK_ALLOW_PRIVATE", "yes", /WEBHOOK_ALLOW_PRIVATE must be true or false/],
		["LOG_LEVEL", "loud", /LOG_LEVEL must be one of/],
	])("%s=%s is refused with a message naming the variable", (name, value, message) => {
		expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
		expect(() => loadConfig({ [name]: value })).toThrow(message);
	});

	test("a refused secret is never echoed back", () => {
		expect(() => loadConfig({ MONGO_URI: "postgres://user:hunter2@db" })).toThrow(
			/^(?!.*hunter2)/,
		);
	});

	test("npm start with a bad value stops with one line naming the variable", () => {
		const run = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/server.ts"], {
			cwd: ROOT,
			env: { ...process.env, PORT: "seventy", DATA_DIR: "/nonexistent-never-created" },
			encoding: "utf8",
			timeout: 30_000,
		});

		expect(run.status).toBe(1);
		expect(run.stderr.trim().split("\n")).toEqual([
			'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "seventy")',
		]);
	});

	test("SERVICES naming an unknown service stops start-up", () => {
		const run = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/server.ts"], {
			cwd: ROOT,
			env: { ...process.env, SERVICES: "api,billing" },
			encoding: "utf8",
			timeout: 30_000,
		});

		expect(run.status).toBe(1);
		expect(run.stderr).toMatch(/SERVICES names unknown services: billing/);
	});
});
