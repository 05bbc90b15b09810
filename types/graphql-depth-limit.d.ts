/** graphql-depth-limit 1.1 ships no types; this is the one function it exports. */
declare module "graphql-depth-limit" {
	import type { ValidationContext } from "graphql";

	function depthLimit(
		maxDepth: number,
		options?: { ignore?: Array<string | RegExp | ((name: string) => boolean)> },
		callback?: (depths: Record<string, number>) => void,
	): (context: ValidationContext) => ValidationContext;

	export = depthLimit;
}
