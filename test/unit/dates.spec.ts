/** Which calendar texts name a real day: `Date.parse` rolls impossible ones over instead. */
import { isRealDate } from "../../models/dates";

describe("isRealDate", () => {
	test.each(["2026-02-28", "2028-02-29", "2000-02-29", "2026-12-31", "2026-04-30T23:59:59Z"])(
		"%s is a real date",
		(text) => {
			expect(isRealDate(text)).toBe(true);
		},
	);

	test.each([
		"2026-02-29",
		"2100-02-29",
		"2026-02-30",
		"2026-04-31",
		"2026-13-01",
		"2026-00-10",
		"2026-02-30T10:00:00Z",
		"2026-02-28T24:00:00Z",
		"not a date",
	])("%s is not", (text) => {
		expect(isRealDate(text)).toBe(false);
	});
});
