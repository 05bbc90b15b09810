/**
 * `Idempotency-Key` on `POST /graphql`, with REST's rules and store (idempotency.ts): the
 * operation (query, variables, operation name) is the body a retry must repeat. An answer is
 * kept 24 hours and replayed with `Idempotent-Replayed: true` as soon as a mutation ran at all
 * (the answer has `data`, even `null` or beside errors): it may have written before a later
 * field failed, so running it again could write twice. An operation refused before it ran (no
 * `data`: a syntax, validation or variable error), or a query with errors, frees the key.
 */
import type { ServerResponse } from "node:http";
import { getOperationAST, parse } from "graphql";
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

/** Keeps the answer of an operation that ran, or frees the key of one refused before it ran. */
export async function settleOperation(req: Req, res: ServerResponse, body: unknown): Promise<void> {
	const held = req as HeldRequest;
	if (!held.$claim || !held.$ctx) return;
	const parsed = typeof body === "string" ? jsonOf(body) : body;
	// GraphQL's rule: `data` is in the answer exactly when execution started.
	const ran = typeof parsed === "object" && parsed !== null && "data" in parsed;
	// A query wrote nothing: one with errors (maybe passing) may as well run again.
	const keep = ran && (!("errors" in parsed) || isMutation(req.body));
	if (keep) await keepResponse(held.$ctx, held, res, parsed);
	else releaseFromRequest(held.$ctx, held);
}

function isMutation(body: unknown): boolean {
	const { query, operationName } = (body ?? {}) as Record<string, unknown>;
	if (typeof query !== "string") return false;
	try {
		const name = typeof operationName === "string" ? operationName : undefined;

		return getOperationAST(parse(query), name)?.operation === "mutation";
	} catch {
		// It ran, so it parsed; should it not, nothing was written by it either.
		return false;
	}
}

/** Frees the key of a request refused before or outside GraphQL's own answer. */
export function releaseOperation(req: Req): void {
	const held = req as HeldRequest;
	if (held.$ctx) releaseFromRequest(held.$ctx, held);
}
