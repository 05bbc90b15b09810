/**
 * Graceful shutdown. On SIGTERM (or any `broker.stop()`), the parts of a node that take work
 * from outside (the HTTP server, channel consumers) first stop taking it and finish what they
 * hold; only then does Moleculer stop the services. They register that step with `onShutdown`.
 *
 * The drains run before `broker.stop()` itself: Moleculer calls user middlewares' `stopping`
 * hooks after its own context tracker has waited, so a hook there would let the HTTP server
 * accept new requests while the node is already winding down.
 */
import type { Middleware, ServiceBroker } from "moleculer";

/** Stops taking new work and resolves once the work in hand is finished (or given up). */
export type Drain = () => Promise<void>;

interface ShutdownState {
	drains: Map<string, Drain>;
	draining: Promise<void> | undefined;
}

const states = new WeakMap<ServiceBroker, ShutdownState>();

function stateOf(broker: ServiceBroker): ShutdownState {
	let state = states.get(broker);
	if (!state) {
		state = { drains: new Map(), draining: undefined };
		states.set(broker, state);
	}

	return state;
}

/** Registers `drain` under `name` (one per name; a service re-registering replaces its own). */
export function onShutdown(broker: ServiceBroker, name: string, drain: Drain): void {
	stateOf(broker).drains.set(name, drain);
}

/** True from the moment the node begins to shut down. */
export function isShuttingDown(broker: ServiceBroker): boolean {
	return stateOf(broker).draining !== undefined;
}

/** Runs every drain at once; a failing drain is logged and does not hold up the others. */
function drainAll(broker: ServiceBroker): Promise<void> {
	const state = stateOf(broker);
	state.draining ??= (async () => {
		const drains = [...state.drains.entries()];
		if (drains.length)
			broker.logger.info(`Shutting down: draining ${drains.map(([n]) => n).join(", ")}`);
		await Promise.all(
			drains.map(([name, drain]) =>
				drain().catch((err: Error) =>
					broker.logger.error(`Shutdown: draining ${name} failed: ${err.message}`),
				),
			),
		);
	})();

	return state.draining;
}

export const ShutdownMiddleware: Middleware = {
	created(broker: ServiceBroker) {
		const stop = broker.stop.bind(broker);
		broker.stop = async () => {
			if (broker.started) await drainAll(broker);

			return stop();
		};
	},
};

export default ShutdownMiddleware;
