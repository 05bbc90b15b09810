/**
 * An upload's file and form fields: a raw body (its `Content-Type` is the document's) or a
 * `multipart/form-data` body with one `file` part (busboy), either cut off at the size limit.
 */
import type { Readable } from "node:stream";
import busboy from "busboy";
import { ApiError, validationError } from "../../models/errors";
import type { FileStore, ReceivedFile } from "./file-store";

export interface Upload {
	file: ReceivedFile;
	/** The media type the client declared for the file itself. */
	contentType: string;
	/** Form fields (multipart) or query parameters (raw). */
	fields: Record<string, string>;
	filename?: string;
}

const MAX_FIELDS = 10;

function mediaType(header: string): string {
	return header.split(";")[0].trim().toLowerCase();
}

export async function readUpload(
	body: Readable,
	contentType: string,
	store: FileStore,
	limit: number,
): Promise<Upload> {
	if (mediaType(contentType) !== "multipart/form-data") {
		if (!contentType)
			throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the file with its Content-Type");

		return {
			file: await store.receive(body, limit),
			contentType: mediaType(contentType),
			fields: {},
		};
	}

	return new Promise((resolve, reject) => {
		// No prototype: a field named `__proto__` is then a field (refused as unknown), not dropped.
		const fields: Record<string, string> = Object.create(null);
		let parts: Promise<Omit<Upload, "fields">> | undefined;
		// A refused upload keeps nothing: a file being received is deleted once it is in, before
		// the refusal is answered (its stream ends or fails with the body, so it settles).
		// Settled once: a failure after the upload was handed on must not delete its file.
		let settled = false;
		const fail = (err: unknown): void => {
			if (settled) return;
			settled = true;
			if (!parts) return reject(err);
			parts
				.then((part) => store.discard(part.file))
				.catch(() => undefined)
				.finally(() => reject(err));
		};
		let parser: busboy.Busboy;
		try {
			parser = busboy({
				headers: { "content-type": contentType },
				limits: { files: 1, fields: MAX_FIELDS, fieldSize: 4096, fileSize: limit + 1 },
			});
		} catch {
			reject(malformed());

			return;
		}
		parser.on("field", (name, value) => {
			fields[name] = value;
		});
		parser.on("file", (name, stream, info) => {
			// Listened to at once: a body cut off inside the part fails this stream, maybe before
			// anything reads it, and an unheard 'error' would end the process. The parser reports
			// the same failure, and the file store its own (413), so nothing is decided here.
			stream.on("error", () => undefined);
			if (name !== "file" || parts) {
				stream.resume();

				return;
			}
			parts = store.receive(stream, limit).then((file) => ({
				file,
				contentType: mediaType(info.mimeType),
				filename: info.filename ?? "",
			}));
			parts.catch(fail);
		});
		parser.on("filesLimit", () =>
			fail(validationError([{ field: "file", message: "must be the only file part" }])),
		);
		parser.on("error", () => fail(malformed()));
		parser.on("close", () => {
			if (settled) return;
			if (!parts)
				return fail(
					validationError([{ field: "file", message: "is required (one file part)" }]),
				);
			parts.then((upload) => {
				if (settled) return;
				settled = true;
				resolve({ ...upload, fields });
			}, fail);
		});
		body.pipe(parser);
	});
}

function malformed(): ApiError {
	return validationError([{ field: "body", message: "is not valid multipart/form-data" }]);
}
