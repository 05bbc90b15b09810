/**
 * Bulk mutations repeated under aliases (`a: bulkCreateOrders(input: $i) b: …`) would each take
 * the bulk cap, so one request could write many times what one REST bulk call may. The items
 * of every bulk root field of an operation are therefore counted together against that cap.
 */
import {
	type DocumentNode,
	type FieldNode,
	type FragmentDefinitionNode,
	getOperationAST,
	Kind,
	type SelectionSetNode,
} from "graphql";
import { config } from "../../models/config";
import { validationError } from "../../models/errors";

const BULK_FIELD = /^bulk[A-Z]/;

/** Root fields, also those inside fragments on the root type (a way around a plain count). */
function rootFields(
	set: SelectionSetNode,
	fragments: Map<string, FragmentDefinitionNode>,
	seen = new Set<string>(),
): FieldNode[] {
	return set.selections.flatMap((selection) => {
		if (selection.kind === Kind.FIELD) return [selection];
		if (selection.kind === Kind.INLINE_FRAGMENT)
			return rootFields(selection.selectionSet, fragments, seen);
		const name = selection.name.value;
		const fragment = fragments.get(name);
		if (!fragment || seen.has(name)) return [];
		seen.add(name);

		return rootFields(fragment.selectionSet, fragments, seen);
	});
}

function itemsOf(field: FieldNode, variables: Record<string, unknown>): number {
	const input = field.arguments?.find((a) => a.name.value === "input")?.value;
	if (input?.kind === Kind.LIST) return input.values.length;
	if (input?.kind === Kind.VARIABLE) {
		const value = variables[input.name.value];

		// A single value where a list is declared is coerced to a list of one.
		return Array.isArray(value) ? value.length : 1;
	}

	return input ? 1 : 0;
}

/** Refuses (VALIDATION_ERROR) an operation whose bulk items together exceed the bulk cap. */
export function checkBulkItems(
	document: DocumentNode,
	variables: Record<string, unknown>,
	operationName?: string,
): void {
	const operation = getOperationAST(document, operationName);
	if (operation?.operation !== "mutation") return;
	const fragments = new Map(
		document.definitions
			.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
			.map((d) => [d.name.value, d]),
	);
	const items = rootFields(operation.selectionSet, fragments)
		.filter((field) => BULK_FIELD.test(field.name.value))
		.reduce((sum, field) => sum + itemsOf(field, variables), 0);
	const max = config().bulkMaxItems;
	if (items > max) {
		throw validationError(
			[{ field: "input", message: `more than ${max} bulk items`, value: items }],
			`The operation's bulk mutations carry ${items} items; at most ${max} together`,
		);
	}
}
