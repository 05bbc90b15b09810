/** What a socket's subscriptions let through, and what a `subscribe` payload may be. */
import type { DomainEvent } from "../../mixins/events.mixin";
import { parseSubscription, Subscriptions } from "../../services/io/subscriptions";

function event(type: string, id = "a"): DomainEvent {
	return {
		id: "evt_1",
		type,
		organization_id: "org",
		created_at: new Date().toISOString(),
		request_id: null,
		actor: { type: "system", id: "system" },
		data: { object: { id } },
	};
}

test("a wildcard takes every type under its prefix, `*` every type, a name only itself", () => {
	const orders = new Subscriptions();
	orders.add({ types: ["order.*"] });
	const everything = new Subscriptions();
	everything.add({ types: ["*"] });
	const shipped = new Subscriptions();
	shipped.add({ types: ["order.shipped"] });

	expect(orders.matches(event("order.created"))).toBe(true);
	expect(orders.matches(event("invoice.created"))).toBe(false);
	expect(everything.matches(event("invoice.created"))).toBe(true);
	expect(shipped.matches(event("order.shipped"))).toBe(true);
	expect(shipped.matches(event("order.created"))).toBe(false);
	expect(new Subscriptions().matches(event("order.created"))).toBe(false);
});

test("ids narrow a type to those entities; unsubscribing ids or types takes them away again", () => {
	const subs = new Subscriptions();
	subs.add({ types: ["order.*"], ids: ["a", "b"] });

	expect(subs.matches(event("order.updated", "a"))).toBe(true);
	expect(subs.matches(event("order.updated", "c"))).toBe(false);

	subs.remove({ types: ["order.*"], ids: ["a"] });
	expect(subs.matches(event("order.updated", "a"))).toBe(false);
	expect(subs.list()).toEqual([{ type: "order.*", ids: ["b"] }]);

	subs.remove({ types: ["order.*"], ids: ["b"] });
	expect(subs.list()).toEqual([]);
});

test("a type taken for every entity stays so when ids are added or removed", () => {
	const subs = new Subscriptions();
	subs.add({ types: ["order.*"] });
	subs.add({ types: ["order.*"], ids: ["a"] });
	subs.remove({ types: ["order.*"], ids: ["z"] });

	expect(subs.matches(event("order.created", "z"))).toBe(true);
	expect(subs.list()).toEqual([{ type: "order.*", ids: null }]);
});

test("a subscribe payload must name known types, and nothing else", () => {
	expect(parseSubscription({ types: ["order.*", "*", "invoice.paid"] })).toEqual({
		types: ["order.*", "*", "invoice.paid"],
	});
	for (const bad of [
		null,
		"order.*",
		{},
		{ types: [] },
		{ types: ["nothing.*"] },
		{ types: ["order.*"], ids: [] },
		{ types: ["order.*"], room: "org:other" },
	]) {
		expect(() => parseSubscription(bad)).toThrow(
			expect.objectContaining({ type: "VALIDATION_ERROR" }),
		);
	}
});

test("one socket's subscriptions are bounded, and a refused addition changes nothing", () => {
	const subs = new Subscriptions();
	const ids = Array.from({ length: 1000 }, (_, i) => `id${i}`);
	for (let i = 0; i < 10; i++)
		subs.add({ types: [`order.*`], ids: ids.map((id) => `${id}-${i}`) });

	expect(() => subs.add({ types: ["invoice.*"], ids: ["one-too-many"] })).toThrow(
		expect.objectContaining({ type: "VALIDATION_ERROR" }),
	);
	expect(subs.list().map((s) => s.type)).toEqual(["order.*"]);
});
