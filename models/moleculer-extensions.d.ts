/** Declaration merging for the schema properties this project adds to Moleculer actions. */
import "moleculer";

declare module "moleculer" {
	/** Added by the @moleculer/channels middleware (moleculer.config.ts). */
	interface ServiceBroker {
		sendToChannel(
			channelName: string,
			payload: unknown,
			opts?: { xaddMaxLen?: string | number; headers?: Record<string, string> },
		): Promise<void>;
	}

	interface ActionSchema {
		/**
		 * The scope a caller needs (`customers:read`); checked by every entry point (REST,
		 * GraphQL, socket.io) before the action runs. `false` marks an action that needs no
		 * credential (token endpoints, health).
		 */
		scope?: string | false;
	}
}
