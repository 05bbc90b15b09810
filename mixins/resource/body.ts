/**
 * Checks a create or update body against the entity description and turns it into stored
 * form (money in minor units, date-times normalised to UTC). Every problem is reported at once,
 * field by field; nothing unknown or read-only is ever stored.
 */
import Validator, { type ValidationError as FvError } from "fastest-validator";
import { isRealDate } from "../../models/dates";
import {
	type EntityDefinition,
	ownEntry,
	SYSTEM_FIELDS,
	validatorSchema,
	writableFields,
} from "../../models/entity";
import { type ErrorDetail, validationError } from "../../models/errors";
import { isCurrency, minorDigits, toMinor } from "../../models/money";
import { VALIDATOR_MESSAGES } from "../../models/validator-messages";

const validator = new Validator({ haltOnFirstError: false, messages: VALIDATOR_MESSAGES });

export type Body = Record<string, unknown>;

export interface BodyChecker {
	/** Stored form of a create body, with defaults filled in. */
	create(body: unknown): Body;
	/** Stored form of the fields an update sets; `currency` is the record's current one. */
	update(body: unknown, currency?: string): Body;
}

function fvDetails(errors: FvError[], body: Body): ErrorDetail[] {
	return errors.map((e) => {
		const field = e.field ?? "body";
		const message = (e.message ?? "is invalid").replace(
			new RegExp(`^The '${field}' field `),
			"",
		);

		return { field, message, value: body[field.split(".")[0]] };
	});
}

/** Keys that are unknown, read-only, or (on update) immutable, each named. */
function keyDetails(
	entity: EntityDefinition,
	body: Body,
	mode: "create" | "update",
): ErrorDetail[] {
	const writable = new Set(writableFields(entity, mode));

	return Object.keys(body)
		.filter((key) => !writable.has(key))
		.map((key) => {
			const known = Object.hasOwn(SYSTEM_FIELDS, key) || Object.hasOwn(entity.fields, key);
			const message = !known
				? "is not a field of this resource"
				: mode === "update" && ownEntry(entity.fields, key)?.immutable
					? "cannot be changed after creation"
					: "is read-only";

			return { field: key, message, value: body[key] };
		});
}

/** Checks a parsed (already type-valid) body for what the validator cannot express. */
function semanticDetails(entity: EntityDefinition, body: Body, currency: string): ErrorDetail[] {
	const details: ErrorDetail[] = [];
	for (const [name, value] of Object.entries(body)) {
		const field = entity.fields[name];
		if (value === null || value === undefined) continue;
		if (field.type === "money" && toMinor(value as number, currency) === undefined) {
			details.push({
				field: name,
				message: `has more than ${minorDigits(currency)} decimals for ${currency}`,
				value,
			});
		}
		if ((field.type === "date" || field.type === "datetime") && !isRealDate(value as string)) {
			details.push({ field: name, message: "is not a real date", value });
		}
		if (
			field.type === "object" &&
			field.maxBytes &&
			Buffer.byteLength(JSON.stringify(value)) > field.maxBytes
		) {
			details.push({
				field: name,
				message: `must be at most ${field.maxBytes} bytes as JSON`,
				value: "…",
			});
		}
	}
	if (
		entity.currencyField &&
		typeof body[entity.currencyField] === "string" &&
		!isCurrency(currency)
	) {
		details.push({
			field: entity.currencyField,
			message: "is not an ISO 4217 currency code",
			value: currency,
		});
	}

	return details;
}

function toStored(entity: EntityDefinition, body: Body, currency: string): Body {
	const stored: Body = {};
	for (const [name, value] of Object.entries(body)) {
		const field = entity.fields[name];
		if (value === null || value === undefined) stored[name] = null;
		else if (field.type === "money") stored[name] = toMinor(value as number, currency);
		else if (field.type === "datetime") stored[name] = new Date(value as string).toISOString();
		else stored[name] = value;
	}

	return stored;
}

function defaults(entity: EntityDefinition): Body {
	const filled: Body = {};
	for (const [name, field] of Object.entries(entity.fields)) {
		// Every field is stored (null when unset): keyset cursors compare nulls, not absences.
		filled[name] = field.default === undefined ? null : structuredClone(field.default);
	}

	return filled;
}

export function bodyChecker(entity: EntityDefinition): BodyChecker {
	const checks = {
		create: validator.compile({ $$root: false, ...validatorSchema(entity, "create") }),
		update: validator.compile({ $$root: false, ...validatorSchema(entity, "update") }),
	};

	function check(raw: unknown, mode: "create" | "update", currentCurrency?: string): Body {
		if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
			throw validationError([{ field: "body", message: "must be a JSON object" }]);
		}
		const body = raw as Body;
		const unknownKeys = keyDetails(entity, body, mode);
		if (unknownKeys.length) throw validationError(unknownKeys);
		const result = checks[mode](body);
		if (result !== true) throw validationError(fvDetails(result as FvError[], body));
		const currencyField = entity.currencyField;
		const given = currencyField ? body[currencyField] : undefined;
		const currency = typeof given === "string" ? given : (currentCurrency ?? "USD");
		const semantic = semanticDetails(entity, body, currency);
		if (semantic.length) throw validationError(semantic);

		return toStored(entity, body, currency);
	}

	return {
		create: (body) => {
			const stored = check(body, "create");
			const base = defaults(entity);
			for (const [name, value] of Object.entries(stored)) {
				if (value !== null) base[name] = value;
			}

			return base;
		},
		update: (body, currency) => check(body, "update", currency),
	};
}
