/**
 * Checks a JSON body against a compiled fastest-validator schema (`$$strict`, so unknown keys
 * are named) and reports every problem at once. Passwords are never echoed back, not even in
 * an error's `value`.
 */
import type { ValidationError as FvError } from "fastest-validator";
import { type ErrorDetail, validationError } from "../../models/errors";

type Check = (value: unknown) => true | FvError[] | Promise<true | FvError[]>;

const SECRET_FIELDS = new Set(["password", "token", "secret"]);

function detailsOf(errors: FvError[]): ErrorDetail[] {
	return errors.flatMap((e): ErrorDetail[] => {
		if (e.type === "objectStrict")
			return String(e.actual)
				.split(",")
				.map((key) => ({ field: key.trim(), message: "is not a field of this request" }));
		const field = e.field ?? "body";

		return [
			{
				field,
				message: (e.message ?? "is invalid").replace(/^The '.*?' field /, ""),
				value: SECRET_FIELDS.has(field) ? undefined : e.actual,
			},
		];
	});
}

export function checkBody<T>(check: Check, body: unknown): T {
	if (body === null || typeof body !== "object" || Array.isArray(body))
		throw validationError([{ field: "body", message: "must be a JSON object" }]);
	const result = check(body);
	if (result !== true) throw validationError(detailsOf(result as FvError[]));

	return body as T;
}
