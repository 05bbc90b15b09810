/**
 * Prometheus `/metrics` after real traffic: the design document's request metrics under route
 * templates, the connection gauges, webhook deliveries by outcome, the channel backlog, and
 * text that `promtool check metrics` accepts.
 */
import { spawnSync } from "node:child_process";
import http from "node:http";
import {
	bootstrap,
	client,
	freePort,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { metricAt, until } from "../helpers/poll";
import { type Receiver, startReceiver } from "../helpers/receiver";

const promtool = spawnSync("promtool", ["--version"]).status === 0;
/** CI installs promtool (.ci/run); elsewhere its check is skipped, by name, when it is missing. */
const withPromtool = promtool || process.env.CI === "true" ? test : test.skip;

/** The samples of `name` as label sets, from the exposition text. */
function samples(text: string, name: string): Array<Record<string, string>> {
	return text
		.split("\n")
		.filter((line) => line.startsWith(`${name}{`))
		.map((line) => {
			const labels = line.slice(name.length + 1, line.lastIndexOf("}"));
			return Object.fromEntries(
				[...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
			);
		});
}

describe("Prometheus metrics on METRICS_PORT", () => {
	let node: GatewayNode;
	let owner: Owner;
	let metricsUrl: string;
	let text: string;
	let customerId: string;
	let receiver: Receiver;

	beforeAll(async () => {
		const dataDir = tempDir();
		owner = bootstrap({ DATA_DIR: dataDir });
		const metricsPort = await freePort();
		metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
		node = await startNode({
			DATA_DIR: dataDir,
			METRICS_PORT: String(metricsPort),
			// The webhook receiver listens on loopback.
			WEBHOOK_ALLOW_PRIVATE: "true",
		});

		const api = client(node.url, owner.api_key);
		const base = `/v1/organizations/${owner.organization_id}`;
		// A webhook whose first attempt fails and whose retry succeeds: one of each outcome.
		receiver = await startReceiver();
		receiver.answer = (r) => ({ status: r.n === 1 ? 503 : 200 });
		await api.post(`${base}/webhooks`, {
			url: receiver.url,
			events: ["customer.created"],
			retry_config: { max_retries: 1, retry_delay: 100, backoff_multiplier: 1 },
		});
		customerId = (await api.post(`${base}/customers`, { name: "Metered", segment: "smb" })).body
			.data.id;
		await api.get(`${base}/customers`);
		await api.get(`${base}/customers/${customerId}`);
		await api.post(`${base}/customers`, "{not json");
		await api.get("/no/such/path");
		await client(node.url).get(`${base}/customers`);
		// The worker counts an attempt once its outcome is recorded, just after the answer.
		const success = () => metricAt(metricsUrl, "webhook_deliveries_total", 'outcome="success"');
		await until(async () => (await success()) === 1, "the webhook retry counted");

		// One request still open while the metrics are read: the socket counts as a connection.
		const held = http.request(`${node.url}${base}/customers`, {
			method: "POST",
			headers: { "content-type": "application/json", "content-length": "100" },
		});
		held.on("error", () => undefined);
		held.write("{");
		await new Promise((r) => setTimeout(r, 300));
		text = await (await fetch(metricsUrl)).text();
		held.destroy();
	});

	afterAll(async () => {
		await node?.stop();
		await receiver?.close();
	});

	test("http_requests_total counts requests by method, route template and status code", () => {
		const counted = samples(text, "http_requests_total").map(
			({ method, route, status_code }) => `${method} ${route} ${status_code}`,
		);

		expect(counted).toEqual(
			expect.arrayContaining([
				"POST /v1/organizations/:org_id/customers 201",
				"GET /v1/organizations/:org_id/customers 200",
				"GET /v1/organizations/:org_id/customers/:id 200",
				"POST /v1/organizations/:org_id/customers 400",
				"GET /v1/organizations/:org_id/customers 401",
				"GET unmatched 404",
			]),
		);
	});

	test("http_request_duration_seconds is a histogram with buckets, sum and count per route", () => {
		const labels = {
			method: "POST",
			route: "/v1/organizations/:org_id/customers",
			status_code: "201",
		};
		const matches = (s: Record<string, string>) =>
			Object.entries(labels).every(([k, v]) => s[k] === v);

		expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
		expect(
			samples(text, "http_request_duration_seconds_bucket")
				.filter(matches)
				.map((s) => s.le),
		).toEqual(expect.arrayContaining(["0.005", "0.1", "1", "10", "+Inf"]));
		expect(samples(text, "http_request_duration_seconds_sum").filter(matches)).toHaveLength(1);
		expect(samples(text, "http_request_duration_seconds_count").filter(matches)).toHaveLength(
			1,
		);
	});

	test("active_connections has the rest, graphql and websocket types, and counts open sockets", () => {
		const gauges = samples(text, "active_connections");
		const rest = text.match(/^active_connections\{[^}]*type="rest"[^}]*\} (\d+)$/m);

		expect(gauges.map((g) => g.type).sort()).toEqual(["graphql", "rest", "websocket"]);
		expect(Number(rest?.[1])).toBeGreaterThanOrEqual(1);
	});

	test("webhook_deliveries_total and webhook_delivery_duration_seconds count attempts by outcome", () => {
		const counted = samples(text, "webhook_deliveries_total").map((s) => s.outcome);
		const timed = samples(text, "webhook_delivery_duration_seconds_count").map(
			(s) => s.outcome,
		);

		expect(counted.sort()).toEqual(["retry", "success"]);
		expect(timed.sort()).toEqual(["retry", "success"]);
		expect(text).toMatch(/^# TYPE webhook_delivery_duration_seconds histogram$/m);
	});

	test("channel_backlog reports the webhook channel's consumer group", () => {
		expect(samples(text, "channel_backlog")).toEqual([
			expect.objectContaining({ channel: "webhooks.deliver", group: "webhook-worker" }),
		]);
	});

	test("labels stay bounded: no organization, customer or raw path appears", () => {
		expect(text).not.toContain(owner.organization_id);
		expect(text).not.toContain(customerId);
		expect(text).not.toContain("/no/such/path");
		expect(text).not.toContain(owner.api_key);
	});

	withPromtool("promtool check metrics accepts the whole output", () => {
		const check = spawnSync("promtool", ["check", "metrics"], {
			input: text,
			encoding: "utf8",
		});

		expect(`${check.stdout}${check.stderr}`.trim()).toBe("");
		expect(check.status).toBe(0);
	});
});
