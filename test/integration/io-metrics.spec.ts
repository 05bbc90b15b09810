/**
 * `active_connections{type="websocket"}` follows the open sockets when the broker collects
 * metrics. The gateway runs in this process here, so the test can read the broker's registry.
 */
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { loadConfig } from "../../models/config";
import { brokerOptions } from "../../moleculer.config";
import { availableServices, SERVICES_DIR } from "../../scripts/node";
import { ACTIVE_CONNECTIONS } from "../../services/io/metrics";
import { bootstrap, freePort, tempDir } from "../helpers/gateway";
import { connected, disconnected, sleep, socketTo } from "../helpers/sockets";

let broker: ServiceBroker;
let url: string;
let apiKey: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
	const dataDir = tempDir();
	apiKey = bootstrap({ DATA_DIR: dataDir }).api_key;
	const port = await freePort();
	// Services read the process-wide configuration; this test file has its own process.env.
	Object.assign(process.env, { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" });
	broker = new ServiceBroker({
		...brokerOptions(loadConfig()),
		metrics: { enabled: true, reporter: [] },
	});
	for (const name of availableServices())
		broker.loadService(path.join(SERVICES_DIR, `${name}.service.ts`));
	await broker.start();
	url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
	await broker?.stop();
	process.env = savedEnv;
});

function websocketConnections(): number {
	const metric = broker.metrics.getMetric(ACTIVE_CONNECTIONS);

	return (metric?.get({ type: "websocket" })?.value as number | undefined) ?? 0;
}

test("active_connections{type=websocket} counts open sockets and drops when they close", async () => {
	const sockets = [socketTo(url, { token: apiKey }), socketTo(url, { token: apiKey })];
	await Promise.all(sockets.map((s) => connected(s)));

	expect(websocketConnections()).toBe(2);

	const closed = disconnected(sockets[0]);
	sockets[0].close();
	await closed;
	await sleep(200);
	expect(websocketConnections()).toBe(1);

	sockets[1].close();
	await sleep(200);
	expect(websocketConnections()).toBe(0);
});
