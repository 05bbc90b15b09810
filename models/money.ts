/**
 * Money rules of the contract: amounts are computed in integer minor units of their currency
 * and shown to clients as numbers in major units with at most the currency's minor digits.
 */

const digitsCache = new Map<string, number>();

/** Minor-unit digits of an ISO 4217 currency (JPY 0, USD 2, KWD 3), from the ICU data. */
export function minorDigits(currency: string): number {
	let digits = digitsCache.get(currency);
	if (digits === undefined) {
		const format = new Intl.NumberFormat("en", { style: "currency", currency });
		digits = format.resolvedOptions().maximumFractionDigits ?? 2;
		digitsCache.set(currency, digits);
	}

	return digits;
}

/** True when `code` is an ISO 4217 code the runtime knows. */
export function isCurrency(code: string): boolean {
	if (!/^[A-Z]{3}$/.test(code)) return false;
	try {
		return Intl.supportedValuesOf("currency").includes(code);
	} catch {
		return false;
	}
}

/**
 * Major units to integer minor units; `undefined` when the amount has more decimals than the
 * currency allows (the caller reports that as a validation error rather than rounding it away).
 */
export function toMinor(major: number, currency: string): number | undefined {
	const scale = 10 ** minorDigits(currency);
	const minor = Math.round(major * scale);

	return Math.abs(minor - major * scale) < 1e-6 ? minor : undefined;
}

export function toMajor(minor: number, currency: string): number {
	return minor / 10 ** minorDigits(currency);
}

/**
 * A line total in minor units: round_half_up(unit × quantity × (1 − discount)), computed on
 * integers so that no binary fraction decides a rounding. `discount` is a fraction (0.15 = 15 %)
 * with at most six decimals.
 */
export function lineTotal(unitMinor: number, quantity: number, discount = 0): number {
	const MILLION = 1_000_000n;
	const keep = MILLION - BigInt(Math.round(discount * 1_000_000));
	const exact = BigInt(unitMinor) * BigInt(quantity) * keep;
	const whole = exact / MILLION;
	const rest = exact % MILLION;

	return Number(rest * 2n >= MILLION ? whole + 1n : whole);
}

/**
 * Whether a computed amount in minor units is exact: beyond 2^53 a JSON number (and the store)
 * silently rounds it, so such an amount is refused instead of stored wrong.
 */
export function isExactMinor(minor: number): boolean {
	return Number.isSafeInteger(minor);
}

/** The largest exact amount in major units of `currency`, as text for error messages. */
export function maxExactMajor(currency: string): string {
	// Dividing would round it (2^53 − 1 has more digits than a double keeps after the point).
	const digits = minorDigits(currency);
	const text = String(Number.MAX_SAFE_INTEGER);

	return digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
}

/** The entity field holding an ISO 4217 code (`currencyField` of entities with money). */
export const CURRENCY_FIELD = {
	type: "string",
	pattern: /^[A-Z]{3}$/,
	default: "USD",
	filter: true,
} as const;
