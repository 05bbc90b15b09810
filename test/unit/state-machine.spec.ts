/** The shared state-machine helper and the order table it guards (contract: States). */
import { assertTransition, canTransition, states } from "../../models/state-machine";
import { ORDER_MACHINE } from "../../models/order";
import { weekOf, averageMinor } from "../../models/analytics";

describe("state machines", () => {
	test("an order may be cancelled from every state before shipped and from none after", () => {
		const cancellable = states(ORDER_MACHINE).filter((s) =>
			canTransition(ORDER_MACHINE, s, "cancelled"),
		);

		expect(cancellable).toEqual(["draft", "confirmed", "processing"]);
	});

	test("a step outside the table is 409 INVALID_STATE_TRANSITION naming the field", () => {
		expect(() => assertTransition(ORDER_MACHINE, "delivered", "shipped")).toThrow(
			expect.objectContaining({
				code: 409,
				type: "INVALID_STATE_TRANSITION",
				data: {
					details: [
						{
							field: "status",
							message: "not allowed from delivered",
							value: "shipped",
						},
					],
				},
			}),
		);
	});
});

describe("rollup periods", () => {
	test("a week is keyed by its Monday, across a year boundary", () => {
		expect(weekOf("2024-01-03")).toBe("2024-01-01");
		expect(weekOf("2023-01-01")).toBe("2022-12-26");
		expect(weekOf("1996-07-04")).toBe("1996-07-01");
	});

	test("the average order value rounds half up in minor units", () => {
		expect(averageMinor(5, 2)).toBe(3);
		expect(averageMinor(4, 3)).toBe(1);
		expect(averageMinor(0, 0)).toBe(0);
	});
});
