/**
 * The benchmark report: every figure beside its ratio to the `node:http` baseline of the same
 * run and the target it is held to, printed as a table and written as JSON.
 */
import fs from "node:fs";
import path from "node:path";
import type { LoadResult } from "./load";

export interface Target {
	/** Least share of the baseline's requests per second. */
	ratio?: number;
	/** Largest 99th percentile latency. */
	p99_ms?: number;
	/** Largest median latency. */
	p50_ms?: number;
	/** Least rate, for scenarios measured in work done per second (webhook deliveries). */
	per_second?: number;
}

export interface Figure extends Partial<LoadResult> {
	name: string;
	ratio?: number;
	/** Baseline CPU per request over this scenario's: the ratio an idle machine would show. */
	cpu_ratio?: number;
	target?: Target;
	met?: boolean;
	skipped?: string;
	/** Anything an external scenario script reports (fan-out latency, deliveries per second). */
	extra?: Record<string, unknown>;
}

export function judge(figure: Figure, baseline: LoadResult): Figure {
	if (figure.requests_per_second === undefined) return figure;
	const ratio = round3(figure.requests_per_second / baseline.requests_per_second);
	const cpu_ratio =
		figure.cpu_us_per_request && baseline.cpu_us_per_request
			? round3(baseline.cpu_us_per_request / figure.cpu_us_per_request)
			: undefined;
	const target = figure.target;
	const met = target
		? (target.ratio === undefined || ratio >= target.ratio) &&
			(target.p99_ms === undefined || (figure.p99_ms ?? Infinity) < target.p99_ms)
		: undefined;

	return { ...figure, ratio, cpu_ratio, met };
}

function round3(x: number): number {
	return Math.round(x * 1000) / 1000;
}

function pct(ratio: number | undefined): string {
	return ratio === undefined ? "" : `${(ratio * 100).toFixed(1)} %`;
}

function targetText(target: Target | undefined): string {
	if (!target) return "";
	const parts = [];
	if (target.ratio !== undefined) parts.push(`≥ ${pct(target.ratio)}`);
	if (target.p99_ms !== undefined) parts.push(`p99 < ${target.p99_ms} ms`);
	if (target.p50_ms !== undefined) parts.push(`p50 < ${target.p50_ms} ms`);
	if (target.per_second !== undefined) parts.push(`≥ ${target.per_second}/s`);

	return parts.join(", ");
}

/** A plain-text table for the terminal. */
export function table(figures: Figure[]): string {
	const rows = [
		[
			"scenario",
			"req/s",
			"p50 ms",
			"p99 ms",
			"of node:http",
			"CPU µs/req",
			"by CPU",
			"target",
			"met",
		],
	];
	for (const f of figures) {
		if (f.skipped) {
			// One line: a script's error output would break the table.
			rows.push([f.name, "skipped", f.skipped.split("\n")[0], "", "", "", "", "", ""]);
			continue;
		}
		rows.push([
			f.name,
			String(f.requests_per_second ?? ""),
			String(f.p50_ms ?? ""),
			String(f.p99_ms ?? ""),
			pct(f.ratio),
			String(f.cpu_us_per_request ?? ""),
			pct(f.cpu_ratio),
			targetText(f.target),
			f.met === undefined ? "" : f.met ? "yes" : "NO",
		]);
	}
	const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));

	return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ")).join("\n");
}

export function writeReport(dir: string, report: Record<string, unknown>): string {
	fs.mkdirSync(dir, { recursive: true });
	const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
	fs.writeFileSync(file, `${JSON.stringify(report, null, "\t")}\n`);

	return file;
}
