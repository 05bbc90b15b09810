/**
 * `npm start`: one node of the gateway. With no configuration that is the whole platform in
 * one process on NeDB files; TRANSPORTER and SERVICES make it one node of a cluster. SIGTERM
 * and SIGINT stop it gracefully (the broker drains in-flight requests first).
 */
import { config, ConfigError } from "../models/config";
import { createNode } from "./node";

async function main(): Promise<void> {
	const broker = createNode(config());
	await broker.start();
	broker.logger.info(
		`Mantis gateway node ${broker.nodeID} started (${broker.services.map((s) => s.name).join(", ")})`,
	);
}

main().catch((err: Error) => {
	// A configuration mistake is one clear line, not a stack trace.
	if (err instanceof ConfigError) console.error(err.message);
	else console.error(`Start-up failed: ${err.message}`);
	process.exit(1);
});
