/**
 * Webhook endpoints of an organization: where its events are POSTed, which ones, how retries
 * are spaced, and the secret that signs them. The secret leaves the service only in the answers
 * to a creation and a rotation. Deliveries live in `webhook-deliveries`; the HTTP side in
 * `webhook-worker`.
 */
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import type { Body } from "../mixins/resource/body";
import type { Output } from "../mixins/resource/view";
import { config } from "../models/config";
import type { Meta, RestContext } from "../models/context";
import { conflict, type ErrorDetail, validationError } from "../models/errors";
import {
	eventPatternDetails,
	resolveRetryConfig,
	type RetryConfig,
	Webhook,
} from "../models/webhook";
import { urlDetails } from "./webhooks/address-policy";
import type { DeliverMessage, EndpointSummary } from "./webhooks/deliveries";
import { DELIVERY_TIMEOUT_MS } from "./webhooks/http-client";
import { type AttemptResult, autoDisableDue, verdictOf } from "./webhooks/schedule";
import { generateSecret, secretDetails, secretsOf } from "./webhooks/signature";

/** Endpoints per organization: bounds the fan-out of one event. */
const MAX_ENDPOINTS = 50;

/** How long the secret replaced by a rotation keeps signing (contract: 24 h). */
const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** An endpoint as the delivery side sees it, secrets included (never sent to a client). */
export interface ResolvedEndpoint {
	id: string;
	organization_id: string;
	url: string;
	is_active: boolean;
	disabled_reason: string | null;
	secrets: string[];
	retry_config: RetryConfig;
	consecutive_failures: number;
}

export interface TestResult {
	delivery_id: string;
	event_id: string;
	success: boolean;
	status_code: number | null;
	latency_ms: number;
	error: string | null;
}

const WebhooksService: ServiceSchema = {
	name: "webhooks",
	mixins: [resourceMixin({ entity: Webhook, indexes: ["is_active"] })],

	hooks: {
		after: {
			/** The one answer that shows the secret of a new endpoint. */
			create(ctx: RestContext, endpoint: Output): Output {
				return { ...endpoint, secret: ctx.locals.secret };
			},
		},
	},

	actions: {
		/**
		 * Sends `webhook.test` to this endpoint now; the caller sees the status and latency only.
		 */
		test: {
			scope: "webhooks:write",
			// The receiver has 15 s to answer; the rest of the call gets a few seconds more.
			timeout: DELIVERY_TIMEOUT_MS + 5000,
			async handler(ctx: RestContext): Promise<TestResult> {
				const endpoint = await this.loadScoped(ctx, ctx.params.params?.id);
				if (!endpoint.is_active)
					throw conflict("The webhook is disabled; enable it before testing");
				const event = await this.publishEvent(ctx, "webhook.test", this.toOutput(endpoint));
				const message: DeliverMessage = await ctx.call("webhook-deliveries.enqueue", {
					event,
					webhook_id: endpoint._id,
				});
				const result = await ctx.call<AttemptResult | null, DeliverMessage>(
					"webhook-worker.attempt",
					message,
				);
				if (!result) throw conflict("The test delivery is already being attempted");

				return {
					delivery_id: message.ids[0],
					event_id: event.id,
					success: verdictOf(result) === "succeeded",
					status_code: result.status_code,
					latency_ms: result.latency_ms,
					error: result.error,
				};
			},
		},

		/** A new secret (given or generated); the old one keeps signing for 24 h. */
		rotateSecret: {
			scope: "webhooks:write",
			async handler(ctx: RestContext): Promise<Output> {
				const current = await this.loadScoped(ctx, ctx.params.params?.id);
				this.checkIfMatch(ctx, current);
				const body = (ctx.params.body ?? {}) as Body;
				const unknown = Object.keys(body).filter((k) => k !== "secret");
				const details: ErrorDetail[] = unknown.map((field) => ({
					field,
					message: "is not a field of a rotation",
				}));
				if (body.secret !== undefined) details.push(...secretDetails(body.secret));
				if (details.length) throw validationError(details);
				const secret = (body.secret as string | undefined) ?? generateSecret();
				const out = await this.applyChanges(ctx, current, {
					secret,
					previous_secret: current.secret,
					previous_secret_expires_at: new Date(
						Date.now() + ROTATION_OVERLAP_MS,
					).toISOString(),
				});

				return { ...out, secret };
			},
		},

		/**
		 * Endpoints with their valid secrets, for attempts
		 * (any organization; missing ones left out).
		 */
		resolveMany: {
			visibility: "public",
			params: { ids: { type: "array", items: "string", max: 1000 } },
			async handler(ctx: Context<{ ids: string[] }>): Promise<ResolvedEndpoint[]> {
				const docs: StoredDoc[] = await this.storeFind({ _id: { $in: ctx.params.ids } });

				return docs.map((doc) => ({
					id: doc._id,
					organization_id: doc.organization_id as string,
					url: doc.url as string,
					is_active: Boolean(doc.is_active),
					disabled_reason: (doc.disabled_reason as string | null) ?? null,
					secrets: secretsOf(doc),
					retry_config: doc.retry_config as RetryConfig,
					consecutive_failures: (doc.consecutive_failures as number) ?? 0,
				}));
			},
		},

		/** The active endpoints of these organizations (fan-out). */
		activeFor: {
			visibility: "public",
			params: { organization_ids: { type: "array", items: "string", max: 1000 } },
			async handler(
				ctx: Context<{ organization_ids: string[] }>,
			): Promise<EndpointSummary[]> {
				const docs: StoredDoc[] = await this.storeFind({
					organization_id: { $in: ctx.params.organization_ids },
					is_active: true,
				});

				return docs.map((d) => ({
					id: d._id,
					organization_id: d.organization_id as string,
					events: d.events as string[],
					created_at: d.created_at as string,
				}));
			},
		},

		/**
		 * Switches an endpoint off (410 Gone, sustained failure) and records `webhook.disabled`.
		 */
		disable: {
			visibility: "public",
			params: { id: "string", reason: "string" },
			async handler(ctx: Context<{ id: string; reason: string }, Meta>): Promise<void> {
				const current = await this.loadScoped(ctx, ctx.params.id);
				if (!current.is_active) return;
				const out = await this.applyChanges(ctx, current, {
					is_active: false,
					disabled_reason: ctx.params.reason,
					disabled_at: new Date().toISOString(),
				});
				this.logger.warn(`Webhook ${current._id} disabled: ${ctx.params.reason}`);
				await this.publishEvent(ctx, "webhook.disabled", out);
			},
		},

		/**
		 * Keeps the endpoint's failure streak. Internal bookkeeping, so no version or event; two
		 * failures recorded at once may count as one, which only delays an automatic disable.
		 */
		recordHealth: {
			visibility: "public",
			params: { id: "string", ok: "boolean" },
			async handler(ctx: Context<{ id: string; ok: boolean }, Meta>): Promise<void> {
				const { id, ok } = ctx.params;
				if (ok) {
					await this.storeUpdate(
						{ _id: id, consecutive_failures: { $gt: 0 } },
						{ consecutive_failures: 0, failing_since: null },
					);

					return;
				}
				const doc: StoredDoc | undefined = await this.storeFindOne({ _id: id });
				if (!doc?.is_active) return;
				const health = {
					consecutive_failures: ((doc.consecutive_failures as number) ?? 0) + 1,
					failing_since: (doc.failing_since as string) ?? new Date().toISOString(),
				};
				await this.storeUpdate({ _id: id }, health);
				if (autoDisableDue(health)) {
					const reason =
						`No successful delivery since ${health.failing_since} ` +
						`(${health.consecutive_failures} failed attempts in a row)`;
					await ctx.call("webhooks.disable", { id, reason });
				}
			},
		},
	},

	methods: {
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			const count: number = await this.storeCount({ organization_id: this.orgOf(ctx) });
			if (count >= MAX_ENDPOINTS)
				throw conflict(`An organization may have at most ${MAX_ENDPOINTS} webhooks`);
			const retry = resolveRetryConfig(doc.retry_config);
			const details = [
				...(await this.urlProblems(doc.url)),
				...eventPatternDetails(doc.events as string[]),
				...(Array.isArray(retry) ? retry : []),
				...(doc.secret == null ? [] : secretDetails(doc.secret)),
			];
			if (details.length) throw validationError(details);
			const secret = (doc.secret as string | null) ?? generateSecret();
			ctx.locals.secret = secret;

			return {
				...doc,
				events: [...new Set(doc.events as string[])],
				retry_config: retry,
				secret,
				consecutive_failures: 0,
			};
		},

		async beforeUpdate(_ctx: RestContext, changes: Body, current: StoredDoc): Promise<Body> {
			const details: ErrorDetail[] = [];
			if (changes.url != null) details.push(...(await this.urlProblems(changes.url)));
			if (Array.isArray(changes.events)) {
				details.push(...eventPatternDetails(changes.events as string[]));
				changes.events = [...new Set(changes.events as string[])];
			}
			if (changes.retry_config !== undefined) {
				const retry = resolveRetryConfig(
					changes.retry_config,
					current.retry_config as RetryConfig,
				);
				if (Array.isArray(retry)) details.push(...retry);
				else changes.retry_config = retry;
			}
			for (const field of ["url", "events", "is_active"]) {
				if (field in changes && changes[field] === null)
					details.push({ field, message: "cannot be removed" });
			}
			if (details.length) throw validationError(details);
			// Switching an endpoint back on clears why it was off and its failure streak.
			if (changes.is_active === true && !current.is_active) {
				Object.assign(changes, {
					disabled_reason: null,
					disabled_at: null,
					consecutive_failures: 0,
					failing_since: null,
				});
			}

			return changes;
		},

		urlProblems(url: unknown): Promise<ErrorDetail[]> {
			const settings = config();

			return urlDetails(String(url), {
				allowPrivate: settings.webhookAllowPrivate,
				requireHttps: settings.nodeEnv === "production",
			});
		},
	},
};

export default WebhooksService;
