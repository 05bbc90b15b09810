/**
 * How deep a client's JSON may nest. Parsing any depth is safe (JSON.parse does not recurse on
 * the stack), but much of what runs on a parsed value does: validation, cloning, the store's
 * deep copy, serialisers. A value nested thousands deep overflows those, so it is refused where
 * it enters: request bodies, GraphQL variables, import rows and socket messages.
 */
import { type ApiError, validationError } from "./errors";

/** Deeper than any body of the contract needs (a bulk item's metadata sits at level 4). */
export const MAX_JSON_DEPTH = 32;

export const TOO_DEEP_MESSAGE = `nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`;

/** Whether `value` nests arrays or objects more than `max` levels deep; walks without recursing. */
export function nestsDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
	const pending: [unknown, number][] = isContainer(value) ? [[value, 1]] : [];
	while (pending.length) {
		const [item, depth] = pending.pop() as [unknown, number];
		if (depth > max) return true;
		for (const child of Object.values(item as object)) {
			if (isContainer(child)) pending.push([child, depth + 1]);
		}
	}

	return false;
}

/** Arrays and plain data objects; a binary buffer is a leaf, not a container of numbers. */
function isContainer(value: unknown): value is object {
	return typeof value === "object" && value !== null && !ArrayBuffer.isView(value);
}

export function tooDeep(field: string): ApiError {
	return validationError([{ field, message: TOO_DEEP_MESSAGE }], "The request nests too deep");
}

/** Throws VALIDATION_ERROR naming `field` when `value` nests too deep. */
export function checkJsonDepth(value: unknown, field: string): void {
	if (nestsDeeperThan(value)) throw tooDeep(field);
}
