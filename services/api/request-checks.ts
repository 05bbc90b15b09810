/**
 * Checks of a request's shape before any action sees it: the body parsers' shared options, a
 * middleware after them (moleculer-web runs `use` after `bodyParsers`) that refuses a body
 * nested too deep, for every route and method (a GET's body is parsed too), and the checks
 * the gateway's guard makes on query keys and encodings.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { validationError } from "../../models/errors";
import { nestsDeeperThan, tooDeep } from "../../models/json-depth";

/**
 * Options every body parser shares: a compressed body is refused (415), not inflated, so JSON
 * routes answer as the streamed ones do and a body that is not what its header says is no 500.
 */
export const PARSER_OPTIONS = { inflate: false } as const;

export function refuseDeepBody(
	req: IncomingMessage & { body?: unknown },
	_res: ServerResponse,
	next: (err?: unknown) => void,
): void {
	next(nestsDeeperThan(req.body) ? tooDeep("body") : undefined);
}

/**
 * qs drops a `__proto__` query key (also `__proto__[x]`) however it is configured, so the list
 * parser never sees it to refuse it as an unknown parameter: it is refused here.
 */
export function refuseProtoQueryKey(url: string): void {
	const query = url.split("?")[1];
	if (!query) return;
	for (const key of new URLSearchParams(query).keys()) {
		if (key.split("[")[0] === "__proto__")
			throw validationError([
				{ field: "__proto__", message: "is not a parameter of this route" },
			]);
	}
}

/** A body sent with a `Content-Encoding` other than identity (streamed routes check this). */
export function isEncoded(req: IncomingMessage): boolean {
	const encoding = req.headers["content-encoding"];

	return encoding !== undefined && encoding.trim().toLowerCase() !== "identity";
}
