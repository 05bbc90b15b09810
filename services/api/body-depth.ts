/**
 * Route middleware placed after the JSON body parser (moleculer-web runs `use` after
 * `bodyParsers`): a body nested too deep is refused there, once for every route and method
 * (a GET's body is parsed too), before any action, validator or cache key sees it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { nestsDeeperThan, tooDeep } from "../../models/json-depth";

export function refuseDeepBody(
	req: IncomingMessage & { body?: unknown },
	_res: ServerResponse,
	next: (err?: unknown) => void,
): void {
	next(nestsDeeperThan(req.body) ? tooDeep("body") : undefined);
}
