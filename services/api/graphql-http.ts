/**
 * The HTTP side of GraphQL: what a request must look like before any GraphQL runs (batching
 * off, Apollo's CSRF prevention), and the Apollo server plugins that price an operation before
 * it executes and log server faults.
 */
import type { IncomingMessage } from "node:http";
import {
	type DocumentNode,
	getOperationAST,
	GraphQLError,
	type GraphQLSchema,
	type OperationDefinitionNode,
	parse,
} from "graphql";
import type { Context } from "moleculer";
import type { Meta } from "../../models/context";
import { ApiError, toApiError, validationError } from "../../models/errors";
import { checkJsonDepth } from "../../models/json-depth";
import { apiErrorOf } from "./graphql-errors";
import { checkCost, checkDocumentNesting } from "./graphql-limits";

/** Headers a browser cannot send cross-site without a CORS preflight (Apollo's CSRF rule). */
const PREFLIGHT_HEADERS = ["apollo-require-preflight", "x-apollo-operation-name"];

export type Req = IncomingMessage & { body?: unknown; originalUrl?: string };

/** The parts of Apollo's request context the plugins read. */
export interface RequestContext {
	request: { variables?: Record<string, unknown> };
	schema: GraphQLSchema;
	document?: DocumentNode;
	operation?: OperationDefinitionNode | null;
	operationName?: string | null;
	errors?: readonly GraphQLError[];
	context: {
		ctx?: Context<unknown, Meta>;
		service?: { logger: { error(...a: unknown[]): void } };
	};
}

function mediaType(req: IncomingMessage): string | undefined {
	const header = req.headers["content-type"];

	return header ? header.split(";")[0].trim().toLowerCase() : undefined;
}

/**
 * Batching off, and Apollo's CSRF prevention: a POST must be JSON and a GET must carry a header
 * a browser cannot send cross-site without a preflight (and no non-JSON media type).
 */
export function checkTransport(req: Req): Operation {
	if (req.method !== "GET" && req.method !== "POST") {
		throw new ApiError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here`, {
			headers: { Allow: "GET, POST" },
		});
	}
	const type = mediaType(req);
	if (req.method === "POST" && type !== "application/json")
		throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the operation as application/json");
	if (req.method === "GET") {
		const preflighted = PREFLIGHT_HEADERS.some((h) => String(req.headers[h] ?? "").trim());
		if (!preflighted || (type !== undefined && type !== "application/json")) {
			throw validationError(
				[{ field: "Apollo-Require-Preflight", message: "header is required on GET" }],
				"A GET operation needs an Apollo-Require-Preflight header (CSRF prevention)",
			);
		}
	}
	if (Array.isArray(req.body))
		throw validationError(
			[{ field: "body", message: "must be one operation, not a batch" }],
			"Batched operations are not accepted; send one operation per request",
		);

	return checkOperation(req);
}

/** What a request asks to run (the document is parsed later, by the server). */
export interface Operation {
	query: string;
	operationName?: string;
	variables?: Record<string, unknown>;
}

function operationOf(req: Req): Partial<Operation> & Record<string, unknown> {
	if (req.method === "POST") return (req.body ?? {}) as Record<string, unknown>;
	const params = Object.fromEntries(new URLSearchParams((req.url ?? "").split("?")[1] ?? ""));
	let variables: unknown;
	try {
		variables = params.variables ? JSON.parse(params.variables) : undefined;
	} catch {
		// Malformed variables: the server reports them.
	}

	return { ...params, variables: variables as Record<string, unknown> | undefined };
}

/**
 * The operation is there, and a GET only reads. Apollo would refuse both too, but in plain
 * text; refused here they carry the catalogue's code like every other error.
 */
function checkOperation(req: Req): Operation {
	const params = operationOf(req);
	const { query } = params;
	if (typeof query !== "string" || query.trim() === "")
		throw validationError([{ field: "query", message: "must be a GraphQL document" }]);
	checkDocumentNesting(query);
	const operationName =
		typeof params.operationName === "string" ? params.operationName : undefined;
	const operation: Operation = { query, operationName, variables: params.variables };
	// A POST body was checked whole after parsing; a GET's variables are parsed here.
	checkJsonDepth(operation.variables, "variables");
	if (req.method !== "GET") return operation;
	let definition: OperationDefinitionNode | null | undefined;
	try {
		definition = getOperationAST(parse(query), operationName);
	} catch {
		// A syntax error: Apollo reports it in GraphQL's own terms.
		return operation;
	}
	if (definition && definition.operation !== "query")
		throw new ApiError("METHOD_NOT_ALLOWED", "A GET runs queries only; send this as a POST", {
			headers: { Allow: "POST" },
		});

	return operation;
}

export const plugins = [
	{
		requestDidStart: () => ({
			// Over the cost limit: refused before execution, with the operation's own variables.
			didResolveOperation(rc: RequestContext) {
				if (!rc.document) return;
				try {
					// Over HTTP a subscription would run its resolver once with no event to read.
					if (rc.operation?.operation === "subscription")
						throw validationError(
							[{ field: "query", message: "is a subscription" }],
							"Subscriptions run over graphql-ws at /graphql, not over HTTP",
						);
					checkCost(rc.schema, rc.document, rc.request.variables, rc.operationName);
				} catch (err) {
					const api = toApiError(err);
					throw new GraphQLError(
						api.message,
						undefined,
						undefined,
						undefined,
						undefined,
						api,
					);
				}
			},
			didEncounterErrors(rc: RequestContext) {
				for (const error of rc.errors ?? []) {
					if (apiErrorOf(error).type !== "INTERNAL_ERROR") continue;
					const cause = (error.originalError ?? error) as Error;
					const where = error.path?.join(".") ?? "request";
					// No stack in the log line (the error reporter has it, when configured).
					rc.context.service?.logger.error(
						`GraphQL ${where} failed: ${cause.name}: ${cause.message}`,
					);
				}
			},
		}),
	},
];
