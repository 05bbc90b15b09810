/**
 * Scopes are checked where the action runs, so REST, GraphQL, socket.io and any internal call
 * made on a caller's behalf meet the same rule. An action declares `scope: "<resource>:read"`
 * (or `false` for public ones); the caller is `ctx.meta.auth`.
 */
import type { ActionHandler, ActionSchema, Context, Middleware } from "moleculer";
import type { Meta } from "../models/context";
import { forbidden, unauthorized } from "../models/errors";
import { hasScope } from "../models/identity";

export const ScopesMiddleware: Middleware = {
	localAction(next: ActionHandler, action: ActionSchema): ActionHandler {
		const scope = action.scope;
		if (typeof scope !== "string") return next;

		return function checkScope(ctx: Context<unknown, Meta>) {
			const auth = ctx.meta.auth;
			if (!auth) return Promise.reject(unauthorized());
			if (!hasScope(auth.scopes, scope)) {
				return Promise.reject(forbidden(`This credential lacks the ${scope} scope`));
			}

			return next(ctx);
		};
	},
};
