/**
 * `npm run bootstrap -- --org NAME --email EMAIL --password PW [--plan free|pro|enterprise]
 *  [--key-rate-limit N]`
 *
 * Creates an organization, its owner and an owner API key, and prints one JSON line
 * `{"organization_id","user_id","api_key"}`. Embedded (no TRANSPORTER) it opens the store
 * itself, so run it while the gateway is stopped; in a cluster it asks the running services.
 */
import { parseArgs } from "node:util";
import type { ServiceBroker } from "moleculer";
import { config, ConfigError } from "../models/config";
import { systemAuth } from "../models/context";
import { createNode } from "./node";

const IDENTITY_SERVICES = ["organizations", "users", "members", "api-keys", "events"];
const USAGE =
	"usage: npm run bootstrap -- --org NAME --email EMAIL --password PASSWORD [--plan " +
	"free|pro|enterprise] [--key-rate-limit N]";

interface BootstrapArgs {
	name: string;
	email: string;
	password: string;
	plan: string;
	/** The owner key's own hourly limit; an operator may set it above the plan (load tests). */
	key_rate_limit_per_hour?: number;
}

function readArgs(): BootstrapArgs {
	const { values } = parseArgs({
		options: {
			org: { type: "string" },
			email: { type: "string" },
			password: { type: "string" },
			plan: { type: "string", default: "free" },
			"key-rate-limit": { type: "string" },
		},
	});
	if (!values.org || !values.email || !values.password) throw new Error(USAGE);

	return {
		name: values.org,
		email: values.email,
		password: values.password,
		plan: values.plan ?? "free",
		...(values["key-rate-limit"] === undefined
			? {}
			: { key_rate_limit_per_hour: Number(values["key-rate-limit"]) }),
	};
}

async function main(): Promise<void> {
	const args = readArgs();
	const settings = config();
	const clustered = Boolean(settings.transporter);
	const broker: ServiceBroker = createNode(
		// stdout carries exactly one JSON line (contract): the transporter's warnings on disconnect
		// would follow it. No /metrics: a running node may hold METRICS_PORT.
		{ ...settings, logLevel: "error", metricsPort: 0 },
		clustered ? [] : IDENTITY_SERVICES,
	);
	await broker.start();
	try {
		await broker.waitForServices(IDENTITY_SERVICES, 15_000);
		const result = await broker.call("organizations.bootstrap", args, {
			meta: { auth: systemAuth("bootstrap") },
		});
		process.stdout.write(`${JSON.stringify(result)}\n`);
	} finally {
		await broker.stop();
	}
}

main().catch((err: Error & { data?: { details?: Array<{ field: string; message: string }> } }) => {
	const details = err.data?.details?.map((d) => `${d.field} ${d.message}`).join("; ");
	const data = Array.isArray(err.data)
		? err.data.map((d: { message: string }) => d.message).join("; ")
		: undefined;
	console.error(
		err instanceof ConfigError
			? err.message
			: `bootstrap failed: ${err.message}${details || data ? ` (${details ?? data})` : ""}`,
	);
	process.exit(1);
});
