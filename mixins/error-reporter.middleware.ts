/**
 * Error reporting: with SENTRY_DSN set, every internal error (what the client sees as 500) is
 * sent to Sentry once, from the node where it happened, tagged with the action, node and
 * request id, and scrubbed of credentials first (`scrub.ts`). Without SENTRY_DSN nothing is
 * loaded and nothing leaves the process.
 */
import type { ActionSchema, Context, Middleware, ServiceBroker } from "moleculer";
import { toApiError } from "../models/errors";
import { scrubEvent } from "./scrub";

type Handler = (ctx: Context) => Promise<unknown>;
type Sentry = typeof import("@sentry/node");

export interface ErrorReporterOptions {
	dsn: string | undefined;
	environment: string;
}

/** Errors thrown on another node arrive with that node's id; that node reports them itself. */
function happenedHere(err: unknown, broker: ServiceBroker): boolean {
	const origin = (err as { nodeID?: string } | null)?.nodeID;

	return origin === undefined || origin === broker.nodeID;
}

export function ErrorReporterMiddleware(options: ErrorReporterOptions): Middleware {
	let sentry: Sentry | undefined;
	// The same error rises through every local action that called the failing one.
	const reported = new WeakSet<object>();

	function report(err: unknown, ctx: Context, action: string): void {
		if (!sentry || typeof err !== "object" || err === null || reported.has(err)) return;
		if (toApiError(err).type !== "INTERNAL_ERROR" || !happenedHere(err, ctx.broker)) return;
		reported.add(err);
		sentry.withScope((scope) => {
			scope.setTag("action", action);
			scope.setTag("node_id", ctx.broker.nodeID);
			if (ctx.requestID) scope.setTag("request_id", ctx.requestID);
			sentry?.captureException(err);
		});
	}

	return {
		async starting(broker: ServiceBroker) {
			if (!options.dsn) return;
			// Loaded only when configured: the SDK is large and instruments nothing we need.
			sentry = await import("@sentry/node");
			sentry.initWithoutDefaultIntegrations({
				dsn: options.dsn,
				environment: options.environment,
				serverName: broker.nodeID,
				integrations: [sentry.linkedErrorsIntegration(), sentry.dedupeIntegration()],
				beforeSend: (event) => scrubEvent(event),
				beforeBreadcrumb: (crumb) => scrubEvent(crumb),
			});
			broker.logger.info("Error reporting to Sentry is on");
		},

		localAction(next: Handler, action: ActionSchema): Handler {
			return function reportErrors(ctx: Context): Promise<unknown> {
				return next(ctx).catch((err: unknown) => {
					report(err, ctx, action.name ?? "unknown");
					throw err;
				});
			};
		},

		async stopped() {
			// Events still queued get two seconds to leave before the process exits.
			await sentry?.close(2000);
		},
	};
}

export default ErrorReporterMiddleware;
