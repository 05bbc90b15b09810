/**
 * The webhook worker: takes "deliver now" messages from the `webhooks.deliver` channel, leases
 * the delivery from `webhook-deliveries`, signs and POSTs it, and records the outcome. It keeps
 * no state of its own, so any number of worker nodes share the channel (Redis consumer group:
 * each message goes to one of them). Every message is acknowledged once handled, whatever the
 * outcome: retries are scheduled in the store, never by the channel's own redelivery.
 */
import type { Context, LoggerInstance, ServiceSchema } from "moleculer";
import { CHANNEL_MAX_IN_FLIGHT } from "../moleculer.config";
import { config } from "../models/config";
import { type Claim, DELIVER_CHANNEL, type DeliverMessage } from "./webhooks/deliveries";
import { EndpointLimiter } from "./webhooks/endpoint-limiter";
import { CONNECTIONS_PER_ORIGIN, WebhookClient } from "./webhooks/http-client";
import type { AttemptResult } from "./webhooks/schedule";
import { deliveryHeaders } from "./webhooks/signature";

/** How long a delivery waits on one node for a free connection to its endpoint. */
const MAX_WAIT_PER_ENDPOINT_MS = 2000;

/** A delivery that found no free slot for its endpoint in time is offered again this much later. */
const DEFER_MS = 2000;

/** `this` of the channel handler (the middleware binds it to the service). */
interface WorkerThis {
	deliver(message: DeliverMessage): Promise<AttemptResult | null>;
	logger: LoggerInstance;
}

const WebhookWorkerService: ServiceSchema = {
	name: "webhook-worker",
	// A worker takes no message before it can lease and record (on any node of the cluster).
	dependencies: ["webhook-deliveries"],

	channels: {
		[DELIVER_CHANNEL]: {
			group: "webhook-worker",
			maxInFlight: CHANNEL_MAX_IN_FLIGHT,
			async handler(this: WorkerThis, message: DeliverMessage): Promise<void> {
				try {
					await this.deliver(message);
				} catch (err) {
					// The lease (or the queued mark) expires and the poller sends it again: not lost.
					this.logger.error(
						`Webhook delivery ${message?.id} failed in the worker: ${(err as Error).message}`,
					);
				}
			},
		},
	},

	actions: {
		/** One attempt now, answered with its outcome (an endpoint's `test`). */
		attempt: {
			visibility: "public",
			params: { id: "string", lease: "string" },
			handler(ctx: Context<DeliverMessage>): Promise<AttemptResult | null> {
				return this.deliver(ctx.params);
			},
		},
	},

	methods: {
		/** Lease, attempt, record; null when the delivery was not (or no longer) this node's to send. */
		async deliver(message: DeliverMessage): Promise<AttemptResult | null> {
			if (typeof message?.id !== "string" || typeof message.lease !== "string") return null;
			const claim: Claim | null = await this.broker.call("webhook-deliveries.claim", {
				id: message.id,
				lease: message.lease,
			});
			if (!claim) return null;
			// Only the POST holds one of the endpoint's slots; a lease that waited too long goes back.
			const release = await this.limiter.acquire(claim.webhook_id);
			if (!release) {
				await this.broker.call("webhook-deliveries.release", {
					id: claim.id,
					lease: claim.lease,
					delay_ms: DEFER_MS,
				});

				return null;
			}
			let result: AttemptResult;
			try {
				result = await this.attempt(claim);
			} finally {
				release();
			}
			this.logger.debug(
				`Webhook delivery ${claim.id} attempt ${claim.attempts + 1}: ${result.error ?? result.status_code}`,
			);
			await this.broker.call("webhook-deliveries.complete", {
				id: claim.id,
				lease: claim.lease,
				state: {
					attempts: claim.attempts,
					round_attempts: claim.round_attempts,
					retry_config: claim.retry_config,
				},
				result,
				webhook_id: claim.webhook_id,
				organization_id: claim.organization_id,
				consecutive_failures: claim.consecutive_failures,
			});

			return result;
		},

		/** Signs and POSTs (the claim left the lease long enough for the whole exchange). */
		async attempt(claim: Claim): Promise<AttemptResult> {
			if (config().nodeEnv === "production" && !claim.url.startsWith("https:"))
				return {
					status_code: null,
					latency_ms: 0,
					error: "refused: production delivers over https only",
				};
			const body = Buffer.from(claim.payload, "utf8");
			const headers = deliveryHeaders({
				secrets: claim.secrets,
				eventId: claim.event_id,
				eventType: claim.event_type,
				deliveryId: claim.id,
				body,
				timestamp: Math.floor(Date.now() / 1000),
			});

			return this.client.post(claim.url, body, headers);
		},
	},

	created() {
		this.client = new WebhookClient({ allowPrivate: config().webhookAllowPrivate });
		this.limiter = new EndpointLimiter(CONNECTIONS_PER_ORIGIN, MAX_WAIT_PER_ENDPOINT_MS);
	},

	async stopped() {
		await this.client.close();
	},
};

export default WebhookWorkerService;
