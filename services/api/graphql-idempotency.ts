/**
 * `Idempotency-Key` on `POST /graphql`, with REST's rules and store (idempotency.ts): the
 * operation (query, variables, operation name) is the body a retry must repeat. An answer
 * without `errors` is kept 24 hours and replayed with `Idempotent-Replayed: true`; an answer
 * with errors frees the key, as a failed REST request does, so the client may retry it. A
 * mutation that failed half-way (one of two root fields) is therefore not replayed: its retry
 * runs again and meets the first one's effects, as it would without a key.
 */
import type { ServerResponse } from "node:http";
import type { Context } from "moleculer";
import type { Meta } from "../../models/context";
import type { Req } from "./graphql-http";
import {
	claimFromRequest,
	type IdempotentHttpRequest,
	keepResponse,
	releaseFromRequest,
	type StoredResponse,
} from "./idempotency";

type HeldRequest = IdempotentHttpRequest & { $ctx?: Context<unknown, Meta> };

/** Claims the key of a POST that carries one (after the caller is known). */
export function claimOperation(ctx: Context<unknown, Meta>, req: Req): Promise<void> {
	const held = req as HeldRequest;
	held.$params = { ...held.$params, body: req.body };

	return claimFromRequest(ctx, held);
}

/** The first answer, when this request repeats one that was kept. */
export function replayOf(req: Req): StoredResponse | undefined {
	return (req as HeldRequest).$replay;
}

function jsonOf(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		// Not a GraphQL answer (Apollo wrote a plain-text refusal): nothing to keep.
		return undefined;
	}
}

/** Keeps an answer without errors for replays, or frees the key of one with errors. */
export async function settleOperation(req: Req, res: ServerResponse, body: unknown): Promise<void> {
	const held = req as HeldRequest;
	if (!held.$claim || !held.$ctx) return;
	const parsed = typeof body === "string" ? jsonOf(body) : body;
	const failed = !parsed || res.statusCode >= 400 || "errors" in (parsed as object);
	if (failed) releaseFromRequest(held.$ctx, held);
	else await keepResponse(held.$ctx, held, res, parsed);
}

/** Frees the key of a request refused before or outside GraphQL's own answer. */
export function releaseOperation(req: Req): void {
	const held = req as HeldRequest;
	if (held.$ctx) releaseFromRequest(held.$ctx, held);
}
