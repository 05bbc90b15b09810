/** Calendar days as the API writes them (`YYYY-MM-DD`, UTC). */
export function isoDay(offsetDays = 0, from = Date.now()): string {
	return new Date(from + offsetDays * 86_400_000).toISOString().slice(0, 10);
}
