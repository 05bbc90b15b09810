/**
 * Slow-action warnings: an action that runs longer than SLOW_ACTION_MS is logged at warn with
 * its name, duration and the request id that led to it, so one slow HTTP request can be
 * followed through every action it called, on every node.
 */
import type { ActionSchema, Context, Middleware } from "moleculer";

type Handler = (ctx: Context) => Promise<unknown>;

export function SlowActionsMiddleware(thresholdMs: number): Middleware {
	return {
		localAction(next: Handler, action: ActionSchema): Handler {
			return function watchSlowAction(ctx: Context): Promise<unknown> {
				const start = process.hrtime.bigint();
				const report = (): void => {
					const ms = Number(process.hrtime.bigint() - start) / 1e6;
					if (ms <= thresholdMs) return;
					(ctx.service?.logger ?? ctx.broker.logger).warn({
						msg: `Slow action ${action.name}`,
						action: action.name,
						duration_ms: Math.round(ms),
						threshold_ms: thresholdMs,
						request_id: ctx.requestID,
						caller: ctx.caller,
						caller_node: ctx.nodeID,
					});
				};

				return next(ctx).then(
					(result) => {
						report();

						return result;
					},
					(err: unknown) => {
						report();
						throw err;
					},
				);
			};
		},
	};
}

export default SlowActionsMiddleware;
