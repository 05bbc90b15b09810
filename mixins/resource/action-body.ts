/**
 * Bodies of workflow actions (`ship`, `cancel`, `convert`…): a small fastest-validator schema per
 * action, unknown keys refused, every problem reported at once as a 400 with field details.
 */
import Validator, { type ValidationError as FvError, type ValidationRule } from "fastest-validator";
import { validationError } from "../../models/errors";
import type { Body } from "./body";
import { VALIDATOR_MESSAGES } from "../../models/validator-messages";

const validator = new Validator({ haltOnFirstError: false, messages: VALIDATOR_MESSAGES });

export type ActionBodyCheck<T> = (raw: unknown) => T;

export function actionBody<T = Body>(schema: Record<string, ValidationRule>): ActionBodyCheck<T> {
	const check = validator.compile({ $$root: false, ...schema });
	const known = new Set(Object.keys(schema));

	return (raw: unknown): T => {
		const body = raw === undefined || raw === null ? {} : raw;
		if (typeof body !== "object" || Array.isArray(body))
			throw validationError([{ field: "body", message: "must be a JSON object" }]);
		const unknown = Object.keys(body).filter((k) => !known.has(k));
		if (unknown.length)
			throw validationError(
				unknown.map((field) => ({ field, message: "is not a field of this action" })),
			);
		const result = check(body);
		if (result !== true)
			throw validationError(
				(result as FvError[]).map((e) => ({
					field: e.field ?? "body",
					message: (e.message ?? "is invalid").replace(/^The '.*?' field /, ""),
					value: e.actual,
				})),
			);

		return body as T;
	};
}
