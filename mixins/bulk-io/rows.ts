/**
 * Rows of an import body, read as a stream: CSV (csv-parse), NDJSON (one JSON object a line)
 * or a JSON array (stream-json). Each row comes with its number (1 = the first data row) and,
 * for the line-based formats, the line it ends on; a row that cannot be read comes as an error
 * with its position, and the rows after it are still read.
 */
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { parse as parseCsv } from "csv-parse";
import { parser as jsonParser } from "stream-json";
import { streamArray } from "stream-json/streamers/StreamArray";
import { ApiError, validationError } from "../../models/errors";

export type ImportFormat = "csv" | "ndjson" | "json";

export interface ImportRow {
	row: number;
	line?: number;
	value?: Record<string, unknown>;
	error?: string;
}

const MEDIA_TYPES: Record<string, ImportFormat> = {
	"text/csv": "csv",
	"application/csv": "csv",
	"application/x-ndjson": "ndjson",
	"application/ndjson": "ndjson",
	"application/jsonl": "ndjson",
	"application/json": "json",
};

/** The format of a `Content-Type`; 415 for any other. */
export function formatOf(contentType: string): ImportFormat {
	const format = MEDIA_TYPES[contentType.split(";")[0].trim().toLowerCase()];
	if (!format)
		throw new ApiError(
			"UNSUPPORTED_MEDIA_TYPE",
			`Send text/csv, application/x-ndjson or application/json (got ` +
				`"${contentType || "none"}")`,
		);

	return format;
}

/** Passes bytes through until `limit`, then fails the stream with 413. */
export function byteLimit(limit: number): Transform {
	let seen = 0;

	return new Transform({
		transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
			seen += chunk.length;
			if (seen > limit)
				done(new ApiError("PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes`));
			else done(null, chunk);
		},
	});
}

function isObject(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The header's column names. csv-parse makes each record an ordinary object, where a
 * `__proto__` column would vanish (its cell assigned to the prototype): refused outright.
 */
function headerColumns(header: string[]): string[] {
	const names = header.map((h) => h.trim());
	if (names.includes("__proto__"))
		throw validationError([{ field: "__proto__", message: "is not a column of this import" }]);

	return names;
}

async function* csvRows(body: Readable): AsyncGenerator<ImportRow> {
	// The parser reports a skipped record as soon as it meets it, ahead of the records still
	// queued for us; each is handed out in line order, and rows are numbered as they go out.
	const skipped: Array<{ line: number; error: string }> = [];
	let row = 0;
	const parser = parseCsv({
		columns: headerColumns,
		bom: true,
		info: true,
		skip_empty_lines: true,
		// A stray quote inside a field is kept as text rather than swallowing the rows after it.
		relax_quotes: true,
		skip_records_with_error: true,
	});
	parser.on("skip", (err: Error & { lines?: number }) => {
		skipped.push({ line: err.lines ?? 0, error: err.message });
	});
	body.on("error", (err) => parser.destroy(err));
	body.pipe(parser);
	const before = (line: number) => {
		const due = skipped.filter((s) => s.line < line);
		skipped.splice(0, due.length);

		return due.map((s) => ({ row: ++row, ...s }));
	};
	for await (const { record, info } of parser as AsyncIterable<{
		record: Record<string, string>;
		info: { lines: number };
	}>) {
		yield* before(info.lines);
		yield { row: ++row, line: info.lines, value: record };
	}
	yield* before(Infinity);
}

/** Lines of a UTF-8 stream (`\n` or `\r\n`); a stream error rejects the iteration. */
async function* linesOf(body: Readable): AsyncGenerator<string> {
	const decoder = new StringDecoder("utf8");
	let rest = "";
	for await (const chunk of body) {
		const parts = (rest + decoder.write(chunk as Buffer)).split("\n");
		rest = parts.pop() ?? "";
		yield* parts.map((p) => p.replace(/\r$/, ""));
	}
	rest += decoder.end();
	if (rest) yield rest;
}

async function* ndjsonRows(body: Readable): AsyncGenerator<ImportRow> {
	let line = 0;
	let row = 0;
	for await (const text of linesOf(body)) {
		line++;
		if (!text.trim()) continue;
		row++;
		try {
			const value: unknown = JSON.parse(text);
			if (isObject(value)) yield { row, line, value };
			else yield { row, line, error: "is not a JSON object" };
		} catch {
			yield { row, line, error: "is not valid JSON" };
		}
	}
}

async function* jsonRows(body: Readable): AsyncGenerator<ImportRow> {
	const items = body.pipe(jsonParser()).pipe(streamArray());
	body.on("error", (err) => items.destroy(err));
	try {
		for await (const { key, value } of items as AsyncIterable<{
			key: number;
			value: unknown;
		}>) {
			if (isObject(value)) yield { row: key + 1, value };
			else yield { row: key + 1, error: "is not a JSON object" };
		}
	} catch (err) {
		if (err instanceof ApiError) throw err;
		// The array itself is broken: what came before it stands, the rest cannot be read.
		throw new ApiError("VALIDATION_ERROR", "The body is not a valid JSON array", {
			details: [{ field: "body", message: (err as Error).message }],
		});
	}
}

/** The rows of `body` in `format`, with the body cut off (413) beyond `limit` bytes. */
export function readRows(
	body: Readable,
	format: ImportFormat,
	limit: number,
): AsyncGenerator<ImportRow> {
	const limited = body.pipe(byteLimit(limit));
	body.on("error", (err) => limited.destroy(err));
	if (format === "csv") return csvRows(limited);
	if (format === "ndjson") return ndjsonRows(limited);

	return jsonRows(limited);
}
