/**
 * Wording of fastest-validator messages that differs from the library's. Every validator of the
 * project (the broker's and each `new Validator`) takes these, so REST, socket.io, GraphQL and
 * the scripts word a problem the same way. The `The '{field}' field ` opening is kept: the
 * error shaping strips it, as the `field` of each detail already names the field.
 */
export const VALIDATOR_MESSAGES = {
	// The stock text puts the allowed list where the rejected value belongs ("value 'a, b' does
	// not match any of the allowed values"); the rejected value is the detail's `value`.
	enumValue: "The '{field}' field must be one of: {expected}.",
};
