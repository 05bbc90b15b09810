/**
 * `npm run repl`: the operator's REPL (moleculer-repl) with the gateway's own commands
 * (scripts/repl-commands.ts). With TRANSPORTER set it joins that cluster as one more node,
 * running only what SERVICES names (usually nothing); without, it is the whole embedded
 * gateway, serving HTTP like `npm start`, with the REPL on top. Logs go to stderr.
 */
import type { GenericObject } from "moleculer";
import { config, ConfigError } from "../models/config";
import { createNode } from "./node";
import { replCommands } from "./repl-commands";

/** How long a joining REPL waits to discover the data services before the prompt. */
const DISCOVERY_WAIT_MS = 5000;

async function main(): Promise<void> {
	const settings = config();
	const clustered = Boolean(settings.transporter);
	// A REPL joining a cluster is not a node to scrape: it leaves METRICS_PORT to the others.
	const broker = createNode(
		clustered ? { ...settings, metricsPort: 0 } : settings,
		clustered ? (settings.services ?? []) : undefined,
		{ logToStderr: true, replCommands: replCommands as unknown as GenericObject[] },
	);
	await broker.start();
	if (clustered) {
		await broker
			.waitForServices(["organizations"], DISCOVERY_WAIT_MS)
			.catch(() => broker.logger.warn("No organizations service found in the cluster yet"));
	}
	broker.repl();
}

main().catch((err: Error) => {
	console.error(err instanceof ConfigError ? err.message : `REPL failed: ${err.message}`);
	process.exit(1);
});
