/**
 * Every transition of a state machine, allowed and refused, over real HTTP: for each state,
 * a fresh record is walked there, then each step is tried; an allowed one answers 200, any
 * other 409 INVALID_STATE_TRANSITION and leaves the state as it was.
 */
import type { Reply } from "./gateway";

export interface MachineUnderTest {
	/** The steps by name: each applies one step to the record `id`. */
	steps: Record<string, (id: string) => Promise<Reply>>;
	/** For each state, the steps that lead to it from a new record. */
	path: Record<string, string[]>;
	/** For each state, the steps the contract allows from it. */
	allowed: Record<string, string[]>;
	create(): Promise<string>;
	/**
	 * State set by `PUT` of the field: a step named like the current state changes nothing and
	 * answers 200 (a merge of the same value), so it is not a transition.
	 */
	putDriven?: boolean;
	stateOf(id: string): Promise<string>;
}

export async function checkEveryTransition(
	machine: MachineUnderTest,
	state: string,
): Promise<void> {
	for (const [name, step] of Object.entries(machine.steps)) {
		const id = await machine.create();
		for (const s of machine.path[state]) {
			const walked = await machine.steps[s](id);
			if (walked.status !== 200)
				throw new Error(
					`walking to ${state}: ${s} answered ${walked.status} ${JSON.stringify(walked.body)}`,
				);
		}
		expect(await machine.stateOf(id)).toBe(state);

		const res = await step(id);

		const same = machine.putDriven === true && name === state;
		const allowed = same || machine.allowed[state].includes(name);
		expect([state, name, res.status]).toEqual([state, name, allowed ? 200 : 409]);
		if (!allowed || same) {
			if (!same) expect(res.body.error.code).toBe("INVALID_STATE_TRANSITION");
			expect(await machine.stateOf(id)).toBe(state);
		}
	}
}
