/**
 * Builds one broker node from the configuration: the services named by SERVICES (all of them
 * when unset), each from `services/<name>.service.ts`. Shared by `npm start`, the bootstrap
 * command and the REPL.
 */
import fs from "node:fs";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import brokerOptions, { type NodeOptions } from "../moleculer.config";
import { ScopesMiddleware } from "../mixins/scopes.middleware";
import { type Config, ConfigError } from "../models/config";

export const SERVICES_DIR = path.resolve(__dirname, "..", "services");

/** Every service this project has, by broker name (file `services/<name>.service.ts`). */
export function availableServices(): string[] {
	return fs
		.readdirSync(SERVICES_DIR)
		.filter((f) => f.endsWith(".service.ts"))
		.map((f) => f.replace(/\.service\.ts$/, ""))
		.sort();
}

/** Services that need the HTTP server of their node: the gateway and the socket service. */
export const GATEWAY_SERVICES = ["api", "io"];

/** Stateless channel consumers, which a cluster runs on worker nodes of their own. */
export const WORKER_SERVICES = ["webhook-worker"];

/** Every service but the gateway's: what a data node of a cluster runs (with its workers). */
export function dataServices(): string[] {
	return availableServices().filter((name) => !GATEWAY_SERVICES.includes(name));
}

/** Every service but the gateway's and the workers': a data node beside worker nodes. */
export function domainServices(): string[] {
	return dataServices().filter((name) => !WORKER_SERVICES.includes(name));
}

export function createNode(
	settings: Config,
	services = settings.services ?? availableServices(),
	node: NodeOptions = {},
): ServiceBroker {
	const known = new Set(availableServices());
	const unknown = services.filter((s) => !known.has(s));
	if (unknown.length)
		throw new ConfigError(
			"SERVICES",
			`names unknown services: ${unknown.join(", ")} (known: ${[...known].join(", ")})`,
		);

	const broker = new ServiceBroker(brokerOptions(settings, node));
	// Registered after Moleculer's own middlewares, so it wraps them all: the scope is checked
	// before hooks, validation or the cache see the call.
	broker.middlewares.add(ScopesMiddleware);
	for (const name of services) broker.loadService(path.join(SERVICES_DIR, `${name}.service.ts`));

	return broker;
}
