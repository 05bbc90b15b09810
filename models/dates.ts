import type { ErrorDetail } from "./errors";

/** Calendar days as the API writes them (`YYYY-MM-DD`, UTC). */
export function isoDay(offsetDays = 0, from = Date.now()): string {
	return new Date(from + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
	return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Whether `text` (`YYYY-MM-DD`, or an RFC 3339 date-time) names a real day and time.
 * `Date.parse` alone is not enough: it rolls `2026-02-30` over to March 2 and `T24:00` to the
 * next day instead of failing, and such a value would be stored and bucketed as written.
 */
export function isRealDate(text: string): boolean {
	if (Number.isNaN(Date.parse(text))) return false;
	const parts = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(text);
	if (!parts) return false;
	const [year, month, day, hour = 0, minute = 0] = parts.slice(1).map((p) => Number(p ?? 0));
	const days = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];

	return month >= 1 && month <= 12 && day >= 1 && day <= days && hour < 24 && minute < 60;
}

/** A detail for each given date (`from`, `to`) that is not a real day. */
export function unrealDates(dates: Record<string, string | undefined>): ErrorDetail[] {
	return Object.entries(dates)
		.filter(([, day]) => day !== undefined && !isRealDate(day))
		.map(([field, value]) => ({ field, message: "is not a real date", value }));
}
