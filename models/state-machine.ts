/**
 * Workflow states, described once per entity as a transitions table: which states each state may
 * move to. Every workflow route and every `PUT` of a state field is checked against its table,
 * so a step the contract does not list is always 409 `INVALID_STATE_TRANSITION`.
 */
import { invalidTransition } from "./errors";

export interface StateMachine<S extends string = string> {
	/** The entity noun used in error messages (`order`). */
	entity: string;
	/** The field holding the state (`status`, or `stage` for opportunities). */
	field: string;
	/** The state a new record starts in. */
	initial: S;
	/** For each state, the states it may move to; a final state maps to `[]`. */
	transitions: Record<S, readonly S[]>;
	/**
	 * Catalogue events named after a state (`shipped` → `order.shipped`), emitted on entering it.
	 */
	events?: Partial<Record<S, string>>;
}

export function defineStateMachine<S extends string>(machine: StateMachine<S>): StateMachine<S> {
	return machine;
}

export function states<S extends string>(machine: StateMachine<S>): S[] {
	return Object.keys(machine.transitions) as S[];
}

export function canTransition<S extends string>(
	machine: StateMachine<S>,
	from: string,
	to: string,
): boolean {
	return (machine.transitions[from as S] ?? []).includes(to as S);
}

/** Throws 409 `INVALID_STATE_TRANSITION` unless `from → to` is in the table. */
export function assertTransition<S extends string>(
	machine: StateMachine<S>,
	from: string,
	to: string,
): void {
	if (!canTransition(machine, from, to))
		throw invalidTransition(machine.entity, from, to, machine.field);
}
