/**
 * A two-process cluster on the Redis transporter, in its own namespace: a gateway node running
 * only `api` and a data node running every other service (SERVICES split).
 */
import { dataServices } from "../../scripts/node";
import { type GatewayNode, REDIS_URL, startNode, tempDir } from "./gateway";

export interface SplitCluster {
	/** TRANSPORTER and NAMESPACE, for `bootstrap` against the running cluster. */
	env: Record<string, string>;
	data: GatewayNode;
	gateway: GatewayNode;
	stop(): Promise<void>;
}

export async function startSplitCluster(): Promise<SplitCluster> {
	const env = {
		TRANSPORTER: REDIS_URL,
		NAMESPACE: `t-${Math.random().toString(36).slice(2, 10)}`,
	};
	const services = dataServices().join(",");
	const data = await startNode({ ...env, SERVICES: services, DATA_DIR: tempDir() });
	const gateway = await startNode({ ...env, SERVICES: "api", DATA_DIR: tempDir() });

	return {
		env,
		data,
		gateway,
		async stop() {
			await gateway.stop();
			await data.stop();
		},
	};
}
