/**
 * Stream actions (moleculer-web `stream:` aliases) get the request body as `ctx.params` and
 * the path and query in `meta.$params`. This takes the body out and puts the path and query
 * where the resource methods read them, so the rest of the action is like any other.
 */
import type { Readable } from "node:stream";
import type { Context } from "moleculer";
import type { Meta, RestContext } from "../../models/context";

export function takeStreamBody(ctx: Context<unknown, Meta>): Readable {
	const body = ctx.params as Readable;
	const { params, query } = ctx.meta.$params ?? {};
	(ctx as RestContext).params = { params, query };

	return body;
}
