/**
 * Graceful shutdown of the moleculer-web gateway: when the node begins to stop, `/ready`
 * answers 503 at once, the server stops accepting connections, and the requests already
 * received run to their end (up to SHUTDOWN_TIMEOUT_MS) before any service stops.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Context, Service, ServiceSchema } from "moleculer";
import { config } from "../models/config";
import type { Meta } from "../models/context";
import { isShuttingDown, onShutdown } from "./shutdown.middleware";

interface Readiness {
	status: string;
	checks: Record<string, string>;
}

export const HttpDrainMixin: Partial<ServiceSchema> = {
	hooks: {
		after: {
			/** A node on its way out tells load balancers so before it refuses connections. */
			ready(this: Service, ctx: Context<unknown, Meta>, result: Readiness): Readiness {
				if (!isShuttingDown(this.broker)) return result;
				ctx.meta.$statusCode = 503;

				return { status: "shutting_down", checks: result.checks };
			},
		},
	},

	methods: {
		/** Remembers each response until it closes, so the drain knows what is still running. */
		trackInFlight(server: Server): void {
			server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
				this.inFlight.add(res);
				// Arrived on a kept-alive socket during the drain: answer it, then hang up.
				if (isShuttingDown(this.broker)) res.setHeader("Connection", "close");
				res.once("close", () => {
					this.inFlight.delete(res);
					if (this.inFlight.size === 0) this.onIdle?.();
				});
			});
		},

		/** Stops accepting, lets the requests in hand finish, then closes what is left. */
		async drainHttp(server: Server): Promise<void> {
			server.close();
			for (const res of this.inFlight as Set<ServerResponse>) {
				if (!res.headersSent) res.setHeader("Connection", "close");
			}
			const pending = this.inFlight.size;
			if (pending) {
				this.logger.info(`Waiting for ${pending} in-flight HTTP request(s) to finish`);
				await new Promise<void>((resolve) => {
					const timer = setTimeout(resolve, config().shutdownTimeoutMs);
					this.onIdle = () => {
						clearTimeout(timer);
						resolve();
					};
				});
			}
			if (this.inFlight.size)
				this.logger.warn(
					`Shutdown: ${this.inFlight.size} HTTP request(s) did not finish in time`,
				);
			server.closeAllConnections();
		},
	},

	created() {
		this.inFlight = new Set<ServerResponse>();
	},

	started() {
		const server = this.server as Server | undefined;
		if (!server) return;
		this.trackInFlight(server);
		onShutdown(this.broker, `${this.name} HTTP server`, () => this.drainHttp(server));
	},
};
