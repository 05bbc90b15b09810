/**
 * Moleculer's Prometheus reporter, with its text output made valid: the stock one prints
 * quantile lines inside histograms, leaves out `_sum`/`_count` of bucket histograms, and keeps
 * Moleculer's names (`nodeID`, gauges ending in `_total`, counters without it), all of which
 * `promtool check metrics` refuses. The HTTP endpoint, filtering and the registry are Moleculer's.
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import type { Server } from "node:http";
import { type MetricRegistry, MetricReporters } from "moleculer";
import { exitOnListenFailure } from "./listen-failure";

type Labels = Record<string, unknown>;

export interface MetricSnapshot {
	labels?: Labels;
	value?: unknown;
	buckets?: Record<string, number>;
	count?: number;
	sum?: number;
}

export interface RegisteredMetric {
	name: string;
	type: string;
	description?: string;
	unit?: string;
	snapshot(): MetricSnapshot[];
}

/** `moleculer.request.errorName` → `moleculer_request_error_name`. */
export function snakeCase(name: string): string {
	return name
		.replace(/([a-z0-9])([A-Z])/g, "$1_$2")
		.replace(/[^A-Za-z0-9_:]/g, "_")
		.toLowerCase();
}

/** Counters end in `_total`; nothing else may (Prometheus naming rules, enforced by promtool). */
export function metricName(name: string, type: string): string {
	const snake = snakeCase(name);
	if (type === "counter") return snake.endsWith("_total") ? snake : `${snake}_total`;

	return snake.replace(/_total$/, "");
}

function escapeLabel(value: unknown): string {
	return String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
	return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: unknown): string {
	if (typeof value !== "number" || Number.isNaN(value)) return "NaN";
	if (value === Infinity) return "+Inf";
	if (value === -Infinity) return "-Inf";

	return String(value);
}

function labelText(...sets: Labels[]): string {
	const pairs = sets.flatMap((set) =>
		Object.entries(set).map(([k, v]) => `${snakeCase(k)}="${escapeLabel(v)}"`),
	);

	return pairs.length ? `{${pairs.join(",")}}` : "";
}

function histogramLines(name: string, item: MetricSnapshot, base: Labels): string[] {
	const labels = { ...base, ...item.labels };
	const bounds = Object.keys(item.buckets ?? {}).sort((a, b) => Number(a) - Number(b));
	const lines = bounds.map(
		(le) => `${name}_bucket${labelText(labels, { le })} ${formatValue(item.buckets?.[le])}`,
	);
	lines.push(`${name}_bucket${labelText(labels, { le: "+Inf" })} ${formatValue(item.count)}`);
	lines.push(`${name}_sum${labelText(labels)} ${formatValue(item.sum ?? 0)}`);
	lines.push(`${name}_count${labelText(labels)} ${formatValue(item.count)}`);

	return lines;
}

function sampleLines(metric: RegisteredMetric, name: string, base: Labels): string[] {
	return metric.snapshot().flatMap((item) => {
		if (metric.type === "histogram") return histogramLines(name, item, base);
		// An info metric's value is text: it becomes a label of a constant 1.
		if (metric.type === "info")
			return [`${name}${labelText(base, item.labels ?? {}, { value: item.value })} 1`];

		return [`${name}${labelText(base, item.labels ?? {})} ${formatValue(item.value)}`];
	});
}

/** The exposition text of `metrics`, each sample labelled with `base` too. */
export function exposition(metrics: Iterable<RegisteredMetric>, base: Labels = {}): string {
	const seen = new Set<string>();
	const blocks: string[] = [];
	for (const metric of metrics) {
		const name = metricName(metric.name, metric.type);
		// Two Moleculer names may meet after renaming; one family per name keeps the text valid.
		if (seen.has(name)) continue;
		const samples = sampleLines(metric, name, base);
		if (!samples.length) continue;
		seen.add(name);
		const help =
			metric.description ?? `${metric.name}${metric.unit ? ` (${metric.unit})` : ""}`;
		const type = metric.type === "info" ? "gauge" : metric.type;
		blocks.push(
			[`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, ...samples].join("\n"),
		);
	}

	return `${blocks.join("\n\n")}\n`;
}

/** The fields of Moleculer's reporter this class reads; its typings leave them out. */
interface ReporterInternals {
	server: Server;
	opts: { port: number };
	registry: { store: Map<string, RegisteredMetric> };
	defaultLabels: Labels | undefined;
	matchMetricName(name: string): boolean;
}

export class PrometheusReporter extends MetricReporters.Prometheus {
	override init(registry: MetricRegistry): void {
		super.init(registry);
		// The stock reporter leaves a bind failure unhandled: a raw stack instead of one line.
		const self = this as unknown as ReporterInternals;
		exitOnListenFailure(
			self.server,
			"METRICS_PORT",
			self.opts.port,
			registry.logger,
			(message) => registry.broker.fatal(message),
		);
	}

	generatePrometheusResponse(): string {
		const self = this as unknown as ReporterInternals;
		const metrics = [...self.registry.store.values()].filter(
			// os.datetime changes label values every second: one series per second forever.
			(m) => self.matchMetricName(m.name) && !m.name.startsWith("os.datetime"),
		);

		return exposition(metrics, self.defaultLabels ?? {});
	}
}
