/**
 * Waiting for a state a test cannot be told about: polled, with a deadline. A test asserts on
 * the state itself afterwards, never on how long it took.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check` holds; throws naming `what` after `timeoutMs`. */
export async function until(
	check: () => boolean | Promise<boolean>,
	what: string,
	timeoutMs = 60_000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

/**
 * `read`'s first result that `done` accepts, or its last one after `timeoutMs` (for the assertion).
 */
export async function eventually<T>(
	read: () => Promise<T>,
	done: (result: T) => boolean,
	timeoutMs = 150_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let result = await read();
	while (!done(result) && Date.now() < deadline) {
		await sleep(500);
		result = await read();
	}

	return result;
}

/** The value of metric `name` (the first sample whose labels include `label`) at `url`, or -1. */
export async function metricAt(url: string, name: string, label = ""): Promise<number> {
	const text = await (await fetch(url)).text();
	const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(label));

	return line ? Number(line.split(" ").pop()) : -1;
}
