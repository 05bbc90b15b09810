/**
 * Tracing through Moleculer's tracer. Every span of one HTTP request shares its request id as
 * trace id (the gateway sets `ctx.requestID` from `X-Request-Id`), so a trace and the log
 * lines of a request are found by the same id. Span tags name actions and callers but never
 * carry params, meta or responses: those hold payloads and credentials.
 */
import crypto from "node:crypto";
import { type TracerExporterOptions, type TracerOptions, TracerExporters } from "moleculer";
import type { Config } from "../models/config";

const HEX_ID = /^[0-9a-f-]+$/i;

/**
 * Zipkin wants hex trace ids of 16 or 32 digits; our request ids (`req_…`, or whatever a
 * client sent) are not, so those are hashed to a stable 16-digit id. The original stays in
 * the span's `requestID` tag.
 */
export function zipkinId(id: string | null | undefined): string | null {
	if (!id) return null;
	if (HEX_ID.test(id) && id.replace(/-/g, "").length >= 16)
		return id.replace(/-/g, "").slice(0, 16);

	return crypto.createHash("sha256").update(id).digest("hex").slice(0, 16);
}

class ZipkinExporter extends TracerExporters.Zipkin {
	convertID(id: string | null | undefined): string | null {
		return zipkinId(id);
	}

	/** Moleculer's exporter drops spans still queued at stop; a node going down sends them. */
	stop(): Promise<void> {
		// The JavaScript class has these; Moleculer's typings leave them out.
		const exporter = this as unknown as { timer: NodeJS.Timeout | null; flush(): void };
		if (exporter.timer) clearInterval(exporter.timer);
		exporter.timer = null;
		exporter.flush();

		return Promise.resolve();
	}
}

export function tracingOptions(settings: Config): TracerOptions {
	if (settings.tracingExporter === "none") return { enabled: false };

	// Moleculer also takes an exporter instance (its resolver checks the class), though its
	// typings list only names and option objects.
	const exporter: TracerExporterOptions =
		settings.tracingExporter === "zipkin"
			? (new ZipkinExporter({
					baseURL: settings.tracingUrl,
					interval: 2,
				}) as unknown as TracerExporterOptions)
			: { type: "Console", options: { colors: false } };

	return {
		enabled: true,
		events: true,
		exporter,
		sampling: { rate: 1.0 },
		tags: {
			action: { params: false, meta: false, response: false },
			event: { params: false, meta: false },
		},
	};
}
