import { isCurrency, lineTotal, minorDigits, toMajor, toMinor } from "../../models/money";

describe("money in integer minor units", () => {
	test("minor digits follow ISO 4217", () => {
		expect([minorDigits("USD"), minorDigits("JPY"), minorDigits("KWD")]).toEqual([2, 0, 3]);
	});

	test("amounts with more decimals than the currency allows are refused, not rounded", () => {
		expect(toMinor(1299.99, "USD")).toBe(129999);
		expect(toMinor(0.1 + 0.2, "USD")).toBe(30);
		expect(toMinor(1.005, "USD")).toBeUndefined();
		expect(toMinor(12.5, "JPY")).toBeUndefined();
		expect(toMajor(129999, "USD")).toBe(1299.99);
	});

	test("a line total rounds half up on exact integers", () => {
		// 14.00 × 12 × (1 − 0) = 168.00
		expect(lineTotal(1400, 12)).toBe(16800);
		// 15.20 × 3 × 0.85 = 38.76 exactly
		expect(lineTotal(1520, 3, 0.15)).toBe(3876);
		// 0.05 × 1 × 0.5 = 0.025 → 0.03 (half up), where floating point would give 0.02
		expect(lineTotal(5, 1, 0.5)).toBe(3);
		// 19.45 × 7 × 0.95 = 129.3425 → 129.34
		expect(lineTotal(1945, 7, 0.05)).toBe(12934);
	});

	test("currency codes are checked against the runtime's ISO 4217 list", () => {
		expect(isCurrency("EUR")).toBe(true);
		expect(isCurrency("XYZ")).toBe(false);
		expect(isCurrency("usd")).toBe(false);
	});
});
