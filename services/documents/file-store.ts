/**
 * Document files beside the store: `<DATA_DIR>/documents/<organization>/<sha256>`. A file is
 * written to a temporary name while it is counted, hashed and its first bytes kept, and only
 * then moved into place, so a half-received upload never becomes a document. Files are
 * addressed by content, so two documents with the same bytes share one file.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { ApiError } from "../../models/errors";

export interface ReceivedFile {
	tempPath: string;
	size: number;
	sha256: string;
	/** The first bytes, for the signature check. */
	head: Buffer;
}

const HEAD_BYTES = 16;

export class FileStore {
	constructor(private readonly root: string) {}

	private dir(org: string): string {
		return path.join(this.root, org);
	}

	pathOf(org: string, sha256: string): string {
		return path.join(this.dir(org), sha256);
	}

	/** Writes `body` to a temporary file; 413 (and nothing kept) beyond `limit` bytes. */
	async receive(body: Readable, limit: number): Promise<ReceivedFile> {
		// The body can fail while the directory is made, before the pipeline below listens: an
		// unheard 'error' would end the process. The pipeline still sees the stream as failed.
		body.on("error", () => undefined);
		const tmp = path.join(this.root, ".incoming");
		await fs.promises.mkdir(tmp, { recursive: true });
		const tempPath = path.join(tmp, crypto.randomUUID());
		const hash = crypto.createHash("sha256");
		let size = 0;
		let head = Buffer.alloc(0);
		const meter = new Transform({
			transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
				size += chunk.length;
				if (size > limit)
					return done(
						new ApiError("PAYLOAD_TOO_LARGE", `A document is at most ${limit} bytes`),
					);
				if (head.length < HEAD_BYTES)
					head = Buffer.concat([head, chunk]).subarray(0, HEAD_BYTES);
				hash.update(chunk);
				done(null, chunk);
			},
		});
		try {
			await pipeline(body, meter, fs.createWriteStream(tempPath, { mode: 0o600 }));
		} catch (err) {
			await fs.promises.rm(tempPath, { force: true });
			throw err;
		}

		return { tempPath, size, sha256: hash.digest("hex"), head };
	}

	/** Moves a received file into place (an identical file there already is kept). */
	async keep(org: string, file: ReceivedFile): Promise<void> {
		await fs.promises.mkdir(this.dir(org), { recursive: true });
		await fs.promises.rename(file.tempPath, this.pathOf(org, file.sha256));
	}

	async discard(file: ReceivedFile): Promise<void> {
		await fs.promises.rm(file.tempPath, { force: true });
	}

	open(org: string, sha256: string): Readable {
		return fs.createReadStream(this.pathOf(org, sha256));
	}

	async remove(org: string, sha256: string): Promise<void> {
		await fs.promises.rm(this.pathOf(org, sha256), { force: true });
	}
}
