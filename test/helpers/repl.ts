/**
 * Drives `npm run repl` (scripts/repl.ts) as an operator would: one command typed at a time,
 * its answer read up to the next prompt. Nothing calls the services directly.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { baseEnv, nodeCommand, ROOT, tempDir } from "./gateway";
const PROMPT = "mantis $ ";

export interface Repl {
	/** Types `command` and resolves with what the REPL printed before its next prompt. */
	run(command: string): Promise<string>;
	/** Ends the input (Ctrl+D); resolves with the exit code. */
	close(): Promise<number | null>;
	stderr(): string;
}

export async function startRepl(env: Record<string, string>): Promise<Repl> {
	const child: ChildProcess = spawn(...nodeCommand("scripts/repl.ts"), {
		cwd: ROOT,
		// HOME: moleculer-repl keeps its history there; the operator's own stays untouched.
		env: baseEnv({ HOME: tempDir("mantis-repl-home-"), ...env }),
		stdio: ["pipe", "pipe", "pipe"],
	});
	let out = "";
	let err = "";
	child.stdout?.on("data", (d) => (out += d));
	child.stderr?.on("data", (d) => (err += d));
	const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

	async function untilPrompt(from: number, timeoutMs: number): Promise<string> {
		const deadline = Date.now() + timeoutMs;
		while (!out.slice(from).endsWith(PROMPT)) {
			if (child.exitCode !== null) throw new Error(`REPL exited: ${err.slice(-2000)}`);
			if (Date.now() > deadline)
				throw new Error(
					`no prompt after ${timeoutMs} ms: ${out.slice(from)}\n${err.slice(-2000)}`,
				);
			await new Promise((r) => setTimeout(r, 50));
		}

		return out.slice(from, out.length - PROMPT.length);
	}

	await untilPrompt(0, 60_000);

	return {
		async run(command: string): Promise<string> {
			const from = out.length;
			child.stdin?.write(`${command}\n`);

			return (await untilPrompt(from, 30_000)).trim();
		},
		async close() {
			child.stdin?.end();
			const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
			const code = await exited;
			clearTimeout(timer);

			return code;
		},
		stderr: () => err,
	};
}
