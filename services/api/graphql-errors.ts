/**
 * GraphQL errors in the contract's terms: `extensions.code` from the error catalogue, the
 * catalogue's `details`, and a stack only in development. Used by the HTTP server and the
 * WebSocket server alike.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { config } from "../../models/config";
import { ApiError, toApiError } from "../../models/errors";

interface RawError {
	type?: unknown;
	code?: unknown;
	stack?: string;
	originalError?: unknown;
}

/** What a resolver threw, under the wrappers graphql-js and Apollo put around it. */
function causes(error: GraphQLError): RawError[] {
	const chain: RawError[] = [];
	let cause = error.originalError as RawError | undefined;
	while (cause && chain.length < 5) {
		chain.push(cause);
		cause = cause.originalError as RawError | undefined;
	}

	return chain;
}

function isRuntimeError(cause: RawError): boolean {
	return cause instanceof Error && !(cause instanceof GraphQLError);
}

/**
 * The catalogue error behind a GraphQL error: the first typed error of the chain (ours or
 * Moleculer's, possibly from another node); else a genuine runtime error is INTERNAL_ERROR, and
 * anything else (parse, validation, variable coercion) is the client's VALIDATION_ERROR.
 */
export function apiErrorOf(error: GraphQLError): ApiError {
	const chain = causes(error);
	const typed = chain.find((c) => typeof c.type === "string" && typeof c.code === "number");
	if (typed) return toApiError(typed);
	const runtime = chain.find(isRuntimeError);

	return runtime ? toApiError(runtime) : new ApiError("VALIDATION_ERROR", error.message);
}

/** Field suggestions name parts of the schema; production keeps the schema to itself. */
function withoutSuggestions(message: string): string {
	return message.replace(/ ?Did you mean .+\?$/, "");
}

export function formatGraphqlError(error: GraphQLError): GraphQLFormattedError {
	const api = apiErrorOf(error);
	const env = config().nodeEnv;
	const message = env === "production" ? withoutSuggestions(api.message) : api.message;
	const details = api.data?.details ?? [];
	const stack = causes(error).find(isRuntimeError)?.stack ?? error.stack;
	const extensions: Record<string, unknown> = { code: api.type };
	if (details.length) extensions.details = details;
	if (env === "development" && api.type === "INTERNAL_ERROR" && stack)
		extensions.stacktrace = stack.split("\n");

	return {
		message,
		...(error.locations ? { locations: error.locations } : {}),
		...(error.path ? { path: error.path } : {}),
		extensions,
	};
}

/** An error thrown before any GraphQL ran (credential, CSRF, batching), as a GraphQL body. */
export function errorsBody(error: ApiError): { errors: GraphQLFormattedError[] } {
	const details = error.data?.details ?? [];

	return {
		errors: [
			{
				message: error.message,
				extensions: { code: error.type, ...(details.length ? { details } : {}) },
			},
		],
	};
}
