/**
 * Counts the broker actions one request runs, by action name (GRAPHQL_ACTION_COUNTS, a test and
 * diagnosis aid: it proves that relations are batched rather than loaded row by row). Only
 * requests that asked for counting are counted, and only on this node, which in the embedded
 * single-process setup is every action.
 */
import type { ActionHandler, ActionSchema, Context, Middleware } from "moleculer";

const counts = new Map<string, Record<string, number>>();

/** Starts counting the actions of request `requestId`. */
export function startCounting(requestId: string): void {
	counts.set(requestId, {});
}

/** The counts of request `requestId`, which stops being counted. */
export function takeCounts(requestId: string): Record<string, number> | undefined {
	const found = counts.get(requestId);
	counts.delete(requestId);

	return found;
}

export const CallCountMiddleware: Middleware = {
	localAction(next: ActionHandler, action: ActionSchema): ActionHandler {
		const name = action.name as string;

		return function countCall(ctx: Context) {
			const own = ctx.requestID ? counts.get(ctx.requestID) : undefined;
			if (own) own[name] = (own[name] ?? 0) + 1;

			return next(ctx);
		};
	},
};
