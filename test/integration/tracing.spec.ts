/**
 * The request id of an HTTP request follows it everywhere: the trace spans of every action it
 * caused (sent to a Zipkin-format collector, here a loopback stand-in), the event it
 * recorded, and the slow-action warnings in the log.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { zipkinId } from "../../mixins/tracing";
import {
	bootstrap,
	client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";

interface ZipkinSpan {
	traceId: string;
	id: string;
	parentId?: string;
	name: string;
	tags: Record<string, string>;
}

/** Accepts Zipkin v2 span batches (`POST /api/v2/spans`) and keeps them. */
async function zipkinCollector(): Promise<{ url: string; spans: ZipkinSpan[]; close(): void }> {
	const spans: ZipkinSpan[] = [];
	const server = http.createServer((req, res) => {
		let body = "";
		req.on("data", (d) => (body += d));
		req.on("end", () => {
			if (req.method === "POST" && req.url === "/api/v2/spans")
				spans.push(...JSON.parse(body));
			res.writeHead(202).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		spans,
		close: () => server.close(),
	};
}

async function eventually<T>(probe: () => T | undefined, what: string): Promise<T> {
	const deadline = Date.now() + 20_000;
	for (;;) {
		const value = probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

describe("one request id through traces, events and logs", () => {
	const requestId = `trace-${Math.random().toString(36).slice(2, 12)}`;
	let collector: Awaited<ReturnType<typeof zipkinCollector>>;
	let node: GatewayNode;
	let owner: Owner;
	let spans: ZipkinSpan[];

	beforeAll(async () => {
		collector = await zipkinCollector();
		const dataDir = tempDir();
		owner = bootstrap({ DATA_DIR: dataDir });
		node = await startNode({
			DATA_DIR: dataDir,
			TRACING_EXPORTER: "zipkin",
			TRACING_URL: collector.url,
			// Every action counts as slow, so each one logs its warning.
			SLOW_ACTION_MS: "1",
		});
		const created = await client(node.url, owner.api_key).post(
			`/v1/organizations/${owner.organization_id}/customers`,
			{ name: "Confidential Customer Name", segment: "smb" },
			{ "x-request-id": requestId },
		);
		expect(created.status).toBe(201);
		spans = await eventually(() => {
			const mine = collector.spans.filter((s) => s.tags.requestID === requestId);
			return mine.some((s) => s.name === "action 'events.record'") ? mine : undefined;
		}, "the request's spans at the collector");
	});

	afterAll(async () => {
		await node?.stop();
		collector?.close();
	});

	test("every action the request caused is a span of one trace, named by the request id", () => {
		const names = spans.map((s) => s.name);

		expect(names).toEqual(
			expect.arrayContaining([
				"POST /v1/organizations/:org_id/customers",
				"action 'api-keys.authenticate'",
				"action 'customers.create'",
				"action 'events.record'",
			]),
		);
		expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([zipkinId(requestId)]));
		expect(zipkinId(requestId)).toMatch(/^[0-9a-f]{16}$/);
	});

	test("spans carry no payloads or credentials", () => {
		const text = JSON.stringify(spans);

		expect(text).not.toContain("Confidential Customer Name");
		expect(text).not.toContain(owner.api_key);
		expect(text).not.toMatch(/\/organizations\/[0-9a-f-]{36}/);
	});

	test("the event the request recorded names the same request id", async () => {
		const events = await client(node.url, owner.api_key).get(
			`/v1/organizations/${owner.organization_id}/events?type=customer.created`,
		);

		expect(events.body.data.map((e: { request_id: string }) => e.request_id)).toContain(
			requestId,
		);
	});

	test("slow-action warnings in the log name the action and the request id", () => {
		const warnings = node
			.logs()
			.split("\n")
			.filter((line) => line.includes('"Slow action'))
			.map(
				(line) => JSON.parse(line) as { action: string; request_id: string; level: number },
			);
		const mine = warnings.filter((w) => w.request_id === requestId);

		expect(mine.map((w) => w.action)).toEqual(
			expect.arrayContaining(["customers.create", "api.rest"]),
		);
		expect(mine.every((w) => w.level === 40)).toBe(true);
	});
});
