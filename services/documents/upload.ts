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
		const fields: Record<string, string> = {};
		let parts: Promise<Omit<Upload, "fields">> | undefined;
		let parser: busboy.Busboy;
		try {
			parser = busboy({
				headers: { "content-type": contentType },
				limits: { files: 1, fields: MAX_FIELDS, fieldSize: 4096, fileSize: limit + 1 },
			});
		} catch {
			reject(
				validationError([{ field: "body", message: "is not valid multipart/form-data" }]),
			);

			return;
		}
		parser.on("field", (name, value) => {
			fields[name] = value;
		});
		parser.on("file", (name, stream, info) => {
			if (name !== "file" || parts) {
				stream.resume();

				return;
			}
			parts = store.receive(stream, limit).then((file) => ({
				file,
				contentType: mediaType(info.mimeType),
				filename: info.filename ?? "",
			}));
			parts.catch(reject);
		});
		parser.on("error", () =>
			reject(
				validationError([{ field: "body", message: "is not valid multipart/form-data" }]),
			),
		);
		parser.on("close", () => {
			if (!parts)
				return reject(
					validationError([{ field: "file", message: "is required (one file part)" }]),
				);
			parts.then((upload) => resolve({ ...upload, fields }), reject);
		});
		body.pipe(parser);
	});
}
