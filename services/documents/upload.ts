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

	return new MultipartUpload(store, limit).read(body, contentType);
}

/** One multipart body: its single `file` part received into the store, its fields collected. */
class MultipartUpload {
	// No prototype: a field named `__proto__` is then a field (refused as unknown), not dropped.
	private readonly fields: Record<string, string> = Object.create(null);
	private part?: Promise<Omit<Upload, "fields">>;
	// Settled once: a failure after the upload was handed on must not delete its file.
	private settled = false;
	private resolve: (upload: Upload) => void = () => undefined;
	private reject: (err: unknown) => void = () => undefined;

	constructor(
		private readonly store: FileStore,
		private readonly limit: number,
	) {}

	read(body: Readable, contentType: string): Promise<Upload> {
		return new Promise((resolve, reject) => {
			this.resolve = resolve;
			this.reject = reject;
			let parser: busboy.Busboy;
			try {
				parser = busboy({
					headers: { "content-type": contentType },
					limits: {
						files: 1,
						fields: MAX_FIELDS,
						fieldSize: 4096,
						fileSize: this.limit + 1,
					},
				});
			} catch {
				return this.fail(malformed());
			}
			parser.on("field", (name, value) => {
				this.fields[name] = value;
			});
			parser.on("file", (name, stream, info) => this.receive(name, stream, info));
			parser.on("filesLimit", () =>
				this.fail(
					validationError([{ field: "file", message: "must be the only file part" }]),
				),
			);
			parser.on("error", () => this.fail(malformed()));
			parser.on("close", () => this.finish());
			body.pipe(parser);
		});
	}

	private receive(name: string, stream: Readable, info: busboy.FileInfo): void {
		// Listened to at once: a body cut off inside the part fails this stream, maybe before
		// anything reads it, and an unheard 'error' would end the process. The parser reports
		// the same failure, and the file store its own (413), so nothing is decided here.
		stream.on("error", () => undefined);
		if (name !== "file" || this.part) {
			stream.resume();

			return;
		}
		this.part = this.store.receive(stream, this.limit).then((file) => ({
			file,
			contentType: mediaType(info.mimeType),
			filename: info.filename ?? "",
		}));
		this.part.catch((err) => this.fail(err));
	}

	private finish(): void {
		if (this.settled) return;
		if (!this.part)
			return this.fail(
				validationError([{ field: "file", message: "is required (one file part)" }]),
			);
		this.part.then(
			(upload) => {
				if (this.settled) return;
				this.settled = true;
				this.resolve({ ...upload, fields: this.fields });
			},
			(err) => this.fail(err),
		);
	}

	/**
	 * A refused upload keeps nothing: a file being received is deleted once it is in, before the
	 * refusal is answered (its stream ends or fails with the body, so it settles).
	 */
	private fail(err: unknown): void {
		if (this.settled) return;
		this.settled = true;
		if (!this.part) return this.reject(err);
		this.part
			.then((part) => this.store.discard(part.file))
			.catch(() => undefined)
			.finally(() => this.reject(err));
	}
}

function malformed(): ApiError {
	return validationError([{ field: "body", message: "is not valid multipart/form-data" }]);
}
