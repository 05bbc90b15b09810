/**
 * The webhook worker: takes "deliver now" messages from the `webhooks.deliver` channel, leases
 * the delivery from `webhook-deliveries`, signs and POSTs it, and records the outcome. It keeps
 * no state of its own, so any number of worker nodes share the channel (Redis consumer group:
 * each message goes to one of them). Every message is acknowledged once handled, whatever the
 * outcome: retries are scheduled in the store, never by the channel's own redelivery.
 */
import type { Context, LoggerInstance, ServiceSchema } from "moleculer";
import { CHANNEL_MAX_IN_FLIGHT } from "../moleculer.config";
import { type DeliveryOutcome, webhookDeliveryFinished } from "../mixins/metrics";
import { config } from "../models/config";
import type { DeliveryStatus } from "../models/webhook";
import { type Claim, DELIVER_CHANNEL, type DeliverMessage } from "./webhooks/deliveries";
import { ChannelBacklog } from "./webhooks/backlog";
import { EndpointLimiter } from "./webhooks/endpoint-limiter";
import { CONNECTIONS_PER_ORIGIN, WebhookClient } from "./webhooks/http-client";
import { type AttemptResult, verdictOf } from "./webhooks/schedule";
import { deliveryHeaders } from "./webhooks/signature";

/** How long a delivery waits on one node for a free connection to its endpoint. */
const MAX_WAIT_PER_ENDPOINT_MS = 2000;

/** A delivery that found no free slot for its endpoint in time is offered again this much later. */
const DEFER_MS = 2000;

/** The consumer group every worker node joins: each message goes to one of them. */
const GROUP = "webhook-worker";

/** An attempt's label in the delivery metrics, by what it led to. */
function metricOutcome(result: AttemptResult, status: DeliveryStatus): DeliveryOutcome {
	// This side's own refusals (the address policy; https only in production) say "refused…".
	if (result.error?.startsWith("refused")) return "refused";
	if (verdictOf(result) === "gone") return "disabled";
	if (status === "succeeded") return "success";

	return status === "dead" ? "dead" : "retry";
}

/** `this` of the channel handler (the middleware binds it to the service). */
interface WorkerThis {
	deliver(message: DeliverMessage): Promise<Map<string, AttemptResult>>;
	backlog: ChannelBacklog;
	logger: LoggerInstance;
}

const WebhookWorkerService: ServiceSchema = {
	name: "webhook-worker",
	// A worker takes no message before it can lease and record (on any node of the cluster).
	dependencies: ["webhook-deliveries"],

	channels: {
		[DELIVER_CHANNEL]: {
			group: GROUP,
			maxInFlight: CHANNEL_MAX_IN_FLIGHT,
			async handler(this: WorkerThis, message: DeliverMessage): Promise<void> {
				this.backlog.track(1);
				try {
					await this.deliver(message);
				} catch (err) {
					// The lease (or the queued mark) expires
					// and the poller sends it again: not lost.
					this.logger.error(
						`Webhook deliveries ${message?.ids?.join(", ")} failed in the worker: ` +
							`${(err as Error).message}`,
					);
				} finally {
					this.backlog.track(-1);
				}
			},
		},
	},

	actions: {
		/** One attempt now, answered with its outcome (an endpoint's `test`). */
		attempt: {
			visibility: "public",
			params: { lease: "string", ids: { type: "array", items: "string", min: 1, max: 1 } },
			async handler(ctx: Context<DeliverMessage>): Promise<AttemptResult | null> {
				const results: Map<string, AttemptResult> = await this.deliver(ctx.params);

				return results.get(ctx.params.ids[0]) ?? null;
			},
		},
	},

	methods: {
		/**
		 * Claims the message's rows, attempts each (a few at a time per endpoint), and records
		 * every outcome in one call. Answers the outcome of each row this node attempted.
		 */
		async deliver(message: DeliverMessage): Promise<Map<string, AttemptResult>> {
			const results = new Map<string, AttemptResult>();
			const valid =
				typeof message?.lease === "string" &&
				Array.isArray(message.ids) &&
				message.ids.every((id) => typeof id === "string");
			if (!valid) return results;
			const claims: Claim[] = await this.broker.call("webhook-deliveries.claim", message);
			const unplaced: string[] = [];
			await Promise.all(
				claims.map(async (claim) => {
					// Only the POST holds one of the endpoint's
					// slots; a claim that waited too long goes back.
					const release = await this.limiter.acquire(claim.webhook_id);
					if (!release) return unplaced.push(claim.id);
					try {
						results.set(claim.id, await this.attempt(claim));
					} finally {
						release();
					}
				}),
			);
			if (unplaced.length)
				await this.broker.call("webhook-deliveries.release", {
					lease: message.lease,
					ids: unplaced,
					delay_ms: DEFER_MS,
				});
			await this.record(claims, results);

			return results;
		},

		/** Records the outcomes of the claims attempted, in one call, and counts them. */
		async record(claims: Claim[], results: Map<string, AttemptResult>): Promise<void> {
			const attempted = claims.filter((c) => results.has(c.id));
			if (attempted.length === 0) return;
			const statuses: DeliveryStatus[] = await this.broker.call(
				"webhook-deliveries.complete",
				{ items: attempted.map((c) => this.outcomeOf(c, results.get(c.id))) },
			);
			attempted.forEach((c, i) => {
				const result = results.get(c.id) as AttemptResult;
				const outcome = metricOutcome(result, statuses[i]);
				webhookDeliveryFinished(this.broker, outcome, result.latency_ms / 1000);
			});
		},

		/** What `complete` records for one attempt. */
		outcomeOf(claim: Claim, result: AttemptResult): Record<string, unknown> {
			this.logger.debug(
				`Webhook delivery ${claim.id} attempt ${claim.attempts + 1}: ` +
					`${result.error ?? result.status_code}`,
			);

			return {
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
			};
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
		const { channelsUrl, namespace } = config();
		this.backlog = new ChannelBacklog({
			broker: this.broker,
			logger: this.logger,
			channel: DELIVER_CHANNEL,
			group: GROUP,
			stream: channelsUrl
				? { key: `${namespace}.${DELIVER_CHANNEL}`, url: channelsUrl }
				: undefined,
		});
	},

	started() {
		this.backlog.start();
	},

	// The channel middleware has let the messages in hand finish before this (graceful drain).
	async stopped() {
		await Promise.all([this.client.close(), this.backlog.stop()]);
	},
};

export default WebhookWorkerService;
