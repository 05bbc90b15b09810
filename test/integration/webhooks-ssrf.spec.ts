/**
 * SSRF defence with WEBHOOK_ALLOW_PRIVATE unset: every notation of a forbidden address is
 * refused when an endpoint is saved, and an endpoint saved while private addresses were allowed
 * is refused at connect time once they no longer are. Production also requires https.
 */
import dns from "node:dns";
import os from "node:os";
import ipaddr from "ipaddr.js";
import {
	bootstrap,
	client,
	type GatewayNode,
	type Owner,
	startNode,
	tempDir,
} from "../helpers/gateway";
import { type Receiver, startReceiver } from "../helpers/receiver";

const FORBIDDEN = [
	["loopback", "http://127.0.0.1/hook"],
	["decimal loopback", "http://2130706433/hook"],
	["hex loopback", "http://0x7f000001/hook"],
	["octal loopback", "http://0177.0.0.1/hook"],
	["short loopback", "http://127.1/hook"],
	["IPv6 loopback", "http://[::1]/hook"],
	["IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.1]/hook"],
	["IPv4-mapped IPv6 in hex", "http://[::ffff:7f00:1]/hook"],
	["NAT64 loopback", "http://[64:ff9b::7f00:1]/hook"],
	["private 10/8", "https://10.1.2.3/hook"],
	["private 172.16/12", "https://172.16.5.4/hook"],
	["private 192.168/16", "https://192.168.0.10/hook"],
	["IPv6 unique local", "https://[fd12:3456::1]/hook"],
	["link-local (cloud metadata)", "http://169.254.169.254/latest/meta-data"],
	["IPv6 link-local", "http://[fe80::1]/hook"],
	["CGNAT", "http://100.64.0.1/hook"],
	["multicast", "http://224.0.0.1/hook"],
	["IPv6 multicast", "http://[ff02::1]/hook"],
	["unspecified", "http://0.0.0.0/hook"],
	["IPv6 unspecified", "http://[::]/hook"],
	["broadcast", "http://255.255.255.255/hook"],
	["localhost", "http://localhost:8080/hook"],
	["localhost with a trailing dot", "http://LOCALHOST./hook"],
	["a localhost subdomain", "http://api.localhost/hook"],
] as const;

/** Endpoints at public addresses subscribe only to this, so no test ever connects outside. */
const NEVER_RECORDED = "invoice.voided";

let dataDir: string;
let owner: Owner;
let node: GatewayNode | undefined;
let receiver: Receiver;

beforeAll(async () => {
	dataDir = tempDir();
	owner = bootstrap({ DATA_DIR: dataDir }, "Careful Org");
	receiver = await startReceiver();
});

afterAll(async () => {
	await receiver.close();
	await node?.stop();
});

function api() {
	return client((node as GatewayNode).url, owner.api_key);
}

const base = () => `/v1/organizations/${owner.organization_id}`;

describe("SSRF defence", () => {
	beforeAll(async () => {
		node = await startNode({ DATA_DIR: dataDir });
	});

	afterAll(async () => {
		await node?.stop();
		node = undefined;
	});

	test.each(FORBIDDEN)("%s: %s is refused at creation with 400", async (_name, url) => {
		const res = await api().post(`${base()}/webhooks`, { url, events: ["*"] });

		expect(res.status).toBe(400);
		expect(res.body.error.details[0]).toMatchObject({ field: "url", value: url });
	});

	test("a DNS name that resolves to a loopback address is refused at creation", async () => {
		const name = os.hostname();
		const addresses = await dns.promises.lookup(name, { all: true });
		// The machine's own name resolves to itself (/etc/hosts maps it to a loopback address).
		expect(addresses.some((a) => ipaddr.process(a.address).range() !== "unicast")).toBe(true);

		const res = await api().post(`${base()}/webhooks`, {
			url: `http://${name}:8080/hook`,
			events: ["*"],
		});

		expect(res.status).toBe(400);
		expect(res.body.error.details[0].message).toContain("must not resolve");
	});

	test("an update to a forbidden URL is refused too", async () => {
		const created = await api().post(`${base()}/webhooks`, {
			url: "https://93.184.216.34/hook",
			events: [NEVER_RECORDED],
		});
		expect(created.status).toBe(201);

		const res = await api().patch(`${base()}/webhooks/${created.body.data.id}`, {
			url: "http://[::ffff:10.0.0.1]/hook",
		});

		expect(res.status).toBe(400);
		await api().delete(`${base()}/webhooks/${created.body.data.id}`);
	});
});

describe("connect-time check", () => {
	test("endpoints saved while private addresses were allowed are refused when delivering", async () => {
		node = await startNode({ DATA_DIR: dataDir, WEBHOOK_ALLOW_PRIVATE: "true" });
		const port = new URL(receiver.url).port;
		const urls = [
			receiver.url,
			`http://localhost:${port}/hook`,
			`http://${os.hostname()}:${port}/hook`,
		];
		const ids: string[] = [];
		for (const url of urls) {
			const res = await api().post(`${base()}/webhooks`, {
				url,
				events: ["customer.created"],
				retry_config: { max_retries: 0 },
			});
			expect(res.status).toBe(201);
			ids.push(res.body.data.id);
		}
		await node.stop();

		node = await startNode({ DATA_DIR: dataDir });
		await api().post(`${base()}/customers`, { name: "Probe", segment: "smb" });
		const deadline = Date.now() + 20_000;
		let deliveries: Array<Record<string, string>> = [];
		while (Date.now() < deadline) {
			deliveries = await Promise.all(
				ids.map(
					async (id) =>
						(await api().get(`${base()}/webhooks/${id}/deliveries`)).body.data[0],
				),
			);
			if (deliveries.every((d) => d?.status === "dead")) break;
			await new Promise((r) => setTimeout(r, 200));
		}

		for (const delivery of deliveries) {
			expect(delivery.status).toBe("dead");
			expect(delivery.last_error).toMatch(/refused to connect/);
		}
		expect(receiver.received).toHaveLength(0);
		await node.stop();
		node = undefined;
	});
});

describe("production", () => {
	test("a plain http URL is refused when NODE_ENV=production", async () => {
		node = await startNode({ DATA_DIR: dataDir, NODE_ENV: "production" });

		const refused = await api().post(`${base()}/webhooks`, {
			url: "http://93.184.216.34/hook",
			events: [NEVER_RECORDED],
		});
		const accepted = await api().post(`${base()}/webhooks`, {
			url: "https://93.184.216.34/hook",
			events: [NEVER_RECORDED],
		});

		expect(refused.status).toBe(400);
		expect(refused.body.error.details[0].message).toContain("https");
		expect(accepted.status).toBe(201);
	});
});
