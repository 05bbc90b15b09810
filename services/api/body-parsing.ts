/**
 * What every gateway route does with a parsed body: the parsers' shared options, and a
 * middleware after them (moleculer-web runs `use` after `bodyParsers`) that refuses a body
 * nested too deep, for every route and method (a GET's body is parsed too), before any
 * action, validator or cache key sees it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
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
