/**
 * What one GraphQL operation may ask for (contract: depth 10 with the root field at depth 1,
 * cost 1,000), plus an alias limit. Depth and aliases are validation rules; the cost needs the
 * operation's variables (`first: $n`), so it is checked once the operation is resolved, still
 * before anything executes: by a server plugin over HTTP and in `onSubscribe` over WebSocket.
 */
import {
	type DocumentNode,
	type FieldNode,
	type FragmentDefinitionNode,
	getOperationAST,
	getNamedType,
	getNullableType,
	GraphQLError,
	type GraphQLSchema,
	isLeafType,
	isListType,
	Kind,
	type OperationDefinitionNode,
	parse,
	type ValidationContext,
	type ValidationRule,
	visit,
} from "graphql";
import depthLimit from "graphql-depth-limit";
import { type ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import { ApiError } from "../../models/errors";
import { checkBulkItems } from "./graphql-bulk-items";
import { COST } from "./routes";

export const MAX_DEPTH = 10;
export const MAX_COST = 1000;
export const MAX_ALIASES = 30;
const DEPTH_MESSAGE = `The operation is nested deeper than ${MAX_DEPTH} levels`;
/** What a list costs per item when it names no `first`/`limit` (the REST default page size). */
export const DEFAULT_LIST_COUNT = 50;

/** Every spread names a defined fragment and no fragment spreads itself, however indirectly. */
function fragmentsSound(document: DocumentNode): boolean {
	const fragments = new Map<string, FragmentDefinitionNode>();
	for (const d of document.definitions)
		if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
	const done = new Set<string>();
	const visiting = new Set<string>();
	const spreadsOf = (node: object): string[] => {
		const names: string[] = [];
		visit(node as DocumentNode, { FragmentSpread: (s) => void names.push(s.name.value) });

		return names;
	};
	const sound = (name: string): boolean => {
		if (done.has(name)) return true;
		const fragment = fragments.get(name);
		if (!fragment || visiting.has(name)) return false;
		visiting.add(name);
		const ok = spreadsOf(fragment).every(sound);
		visiting.delete(name);
		done.add(name);

		return ok;
	};

	return spreadsOf(document).every(sound);
}

/**
 * graphql-depth-limit counts the root field as depth 0; the contract counts it as 1, hence
 * `MAX_DEPTH - 1`. It walks fragments eagerly, so it runs only on documents whose fragments
 * resolve (graphql's own rules report the others), and its message is restated in our terms.
 */
export const depthRule: ValidationRule = (context: ValidationContext) => {
	if (!fragmentsSound(context.getDocument())) return {};
	let reported = false;
	const view = Object.create(context, {
		reportError: {
			value(error: GraphQLError) {
				if (reported) return;
				reported = true;
				context.reportError(
					new GraphQLError(`${DEPTH_MESSAGE} (the root field is level 1)`, error.nodes),
				);
			},
		},
	}) as ValidationContext;
	depthLimit(MAX_DEPTH - 1)(view);

	return {};
};

/** Aliases let one cheap request repeat a field many times; more than a few is never needed. */
export const aliasRule: ValidationRule = (context: ValidationContext) => {
	let count = 0;

	return {
		Field(node) {
			if (!node.alias) return;
			count += 1;
			if (count === MAX_ALIASES + 1) {
				context.reportError(
					new GraphQLError(`The operation uses more than ${MAX_ALIASES} aliases`, [node]),
				);
			}
		},
	};
};

export const LIMIT_RULES: ValidationRule[] = [depthRule, aliasRule];

/** Brackets a document may nest: the depth limit's selections, plus arguments and literals. */
const MAX_DOCUMENT_NESTING = 64;

/**
 * VALIDATION_ERROR when the document nests `{`, `[` or `(` more than MAX_DOCUMENT_NESTING deep,
 * outside strings and comments. graphql-js parses nesting recursively, so an input literal
 * nested thousands deep would overflow its stack: this scan refuses it first, in plain terms.
 */
export function checkDocumentNesting(query: string): void {
	if (!documentTooDeep(query)) return;
	throw new ApiError("VALIDATION_ERROR", "The operation nests too deep", {
		details: [
			{ field: "query", message: `nests brackets more than ${MAX_DOCUMENT_NESTING} deep` },
		],
	});
}

function documentTooDeep(query: string): boolean {
	let depth = 0;
	for (let i = 0; i < query.length; i++) {
		const c = query[i];
		if (c === "#") i = lineEnd(query, i);
		else if (c === '"') i = stringEnd(query, i);
		else if (c === "{" || c === "[" || c === "(") {
			if (++depth > MAX_DOCUMENT_NESTING) return true;
		} else if (c === "}" || c === "]" || c === ")") depth--;
	}

	return false;
}

function lineEnd(text: string, from: number): number {
	const end = text.indexOf("\n", from);

	return end < 0 ? text.length : end;
}

/** The index of the quote that closes the string (or block string) opened at `from`. */
function stringEnd(text: string, from: number): number {
	if (text.startsWith('"""', from)) {
		let end = text.indexOf('"""', from + 3);
		while (end > 0 && text[end - 1] === "\\") end = text.indexOf('"""', end + 3);

		return end < 0 ? text.length : end + 2;
	}
	for (let i = from + 1; i < text.length; i++) {
		if (text[i] === "\\") i++;
		else if (text[i] === '"' || text[i] === "\n") return i;
	}

	return text.length;
}

function countOf(args: Record<string, unknown>): number {
	const pagination = args.pagination as { first?: number; last?: number } | undefined;
	const count = args.first ?? args.limit ?? pagination?.first ?? pagination?.last;

	return typeof count === "number" ? count : DEFAULT_LIST_COUNT;
}

const COUNT_ARGUMENTS = new Set(["first", "limit", "pagination"]);

/**
 * A leaf costs 1 and an object field 1 plus its selection. A connection, or a list that pages
 * (it takes `first`, `limit` or `pagination`), costs its selection times the items it may
 * return: that argument, else 50. A connection's own `edges` and `nodes` are not multiplied
 * again, and lists that fetch nothing (the items of a bulk result, an error's details) count
 * as one object. Introspection (off in production) is free.
 */
export const connectionEstimator: ComplexityEstimator = ({
	type,
	field,
	args,
	childComplexity,
}) => {
	if (field.name.startsWith("__") || type.name.startsWith("__")) return 0;
	const named = getNamedType(field.type);
	if (isLeafType(named)) return 1;
	const pages = field.args.some((a) => COUNT_ARGUMENTS.has(a.name));
	const list = isListType(getNullableType(field.type));
	if (named.name.endsWith("Connection") || (list && pages))
		return childComplexity * countOf(args);

	return 1 + childComplexity;
};

/** The cost of the operation, or a VALIDATION_ERROR when it is over the limit. */
export function checkCost(
	schema: GraphQLSchema,
	document: DocumentNode,
	variables: Record<string, unknown> | undefined,
	operationName?: string | null,
): number {
	let cost: number;
	try {
		cost = getComplexity({
			schema,
			query: document,
			variables: variables ?? {},
			operationName: operationName ?? undefined,
			estimators: [connectionEstimator],
		});
	} catch (err) {
		// It coerces the variables first, as execution would: a value that does not fit its
		// declared type is the client's mistake (as graphql-js reports it), not a fault of ours.
		if (!(err instanceof GraphQLError)) throw err;
		throw new ApiError("VALIDATION_ERROR", "A variable does not match its declared type", {
			details: [{ field: "variables", message: err.message }],
		});
	}
	checkBulkItems(document, variables ?? {}, operationName ?? undefined);
	if (cost > MAX_COST) {
		throw new ApiError("VALIDATION_ERROR", `The operation costs ${cost}; at most ${MAX_COST}`, {
			details: [{ field: "query", message: `costs more than ${MAX_COST}`, value: cost }],
		});
	}

	return cost;
}

/**
 * Units of the hourly quota one operation spends (contract: rate limits), priced like REST:
 * each root field as one call, a bulk mutation as a bulk route, a text search as a search.
 * REST, GraphQL and socket.io then take them from the same `consume(auth, units)`.
 */
export function quotaUnits(
	query: string | DocumentNode,
	operationName?: string | null,
	variables?: Record<string, unknown> | null,
): number {
	let operation: OperationDefinitionNode | null | undefined;
	try {
		const document = typeof query === "string" ? parse(query) : query;
		operation = getOperationAST(document, operationName ?? undefined);
	} catch {
		// Refused later as a syntax error; the attempt still costs a call.
		return 1;
	}
	if (!operation) return 1;
	const units = operation.selectionSet.selections.map((selection) =>
		selection.kind === Kind.FIELD ? fieldUnits(selection, variables ?? {}) : 1,
	);

	return Math.max(
		1,
		units.reduce((sum, n) => sum + n, 0),
	);
}

function fieldUnits(field: FieldNode, variables: Record<string, unknown>): number {
	if (/^bulk[A-Z]/.test(field.name.value)) return COST.bulk;
	if (field.name.value === "search") return COST.search;
	const filter = field.arguments?.find((a) => a.name.value === "filter")?.value;
	const searches =
		filter?.kind === Kind.OBJECT
			? filter.fields.some((f) => f.name.value === "q" && f.value.kind !== Kind.NULL)
			: filter?.kind === Kind.VARIABLE &&
				(variables[filter.name.value] as { q?: unknown } | undefined)?.q != null;

	return searches ? COST.search : 1;
}
