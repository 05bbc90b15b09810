/**
 * Documents: files of up to 10 MB uploaded as a raw body or `multipart/form-data`, of an
 * allowed media type whose first bytes agree with it, kept beside the store (`DATA_DIR`), read
 * back by `…/download`, and shared by `…/share` as an expiring HMAC-signed link that needs no
 * credential. Documents are immutable: replace one by uploading anew and deleting the old.
 */
import type { Readable } from "node:stream";
import path from "node:path";
import type { Context, ServiceSchema } from "moleculer";
import type { StoredDoc } from "../mixins/db.mixin";
import { resourceMixin } from "../mixins/resource.mixin";
import { actionBody } from "../mixins/resource/action-body";
import type { Body } from "../mixins/resource/body";
import { takeStreamBody } from "../mixins/resource/stream-body";
import type { Output } from "../mixins/resource/view";
import { config } from "../models/config";
import { type Meta, type RestContext, systemAuth } from "../models/context";
import { ApiError, validationError } from "../models/errors";
import { Document, DOCUMENT_MAX_BYTES, DOCUMENT_TYPES } from "../models/support";
import { FileStore } from "./documents/file-store";
import { signingKey, signLink, verifyLink } from "./documents/share-link";
import { readUpload, type Upload } from "./documents/upload";

const LINK_DEFAULT_SECONDS = 3600;
const LINK_MAX_SECONDS = 7 * 24 * 3600;
const UPLOAD_FIELDS = ["name", "customer_id", "description"];

const shareBody = actionBody<{ expires_in?: number }>({
	expires_in: { type: "number", integer: true, min: 1, max: LINK_MAX_SECONDS, optional: true },
});

/** `Content-Disposition` for a download: an ASCII fallback name and the exact UTF-8 one. */
function disposition(name: string): string {
	const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");

	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const DocumentsService: ServiceSchema = {
	name: "documents",
	mixins: [
		resourceMixin({ entity: Document, createdEvent: "document.uploaded", indexes: ["sha256"] }),
	],

	actions: {
		create: false,
		update: false,

		upload: {
			scope: "documents:write",
			async handler(ctx: Context<unknown, Meta>): Promise<Output> {
				const body = takeStreamBody(ctx);
				const rest = ctx as RestContext;
				const upload: Upload = await readUpload(
					body,
					ctx.meta.upload?.content_type ?? "",
					this.files,
					DOCUMENT_MAX_BYTES,
				);
				try {
					this.checkContent(upload);
					rest.locals.upload = upload;

					return await this.createOne(rest, this.uploadFields(rest, upload));
				} finally {
					await this.files.discard(upload.file);
				}
			},
		},

		download: {
			scope: "documents:read",
			async handler(ctx: RestContext): Promise<Readable> {
				return this.sendFile(ctx, await this.loadScoped(ctx, ctx.params.params?.id));
			},
		},

		share: {
			scope: "documents:write",
			async handler(ctx: RestContext): Promise<Record<string, unknown>> {
				const { expires_in: seconds = LINK_DEFAULT_SECONDS } = shareBody(ctx.params.body);
				const doc: StoredDoc = await this.loadScoped(ctx, ctx.params.params?.id);
				const expiresAt = new Date(Date.now() + seconds * 1000);
				const token = signLink(this.linkKey, {
					organization_id: doc.organization_id as string,
					document_id: doc._id,
					expires_at: expiresAt,
				});
				const out = this.toOutput(doc);
				// The link is a bearer credential: the event says that it was shared, not the link.
				await this.publishEvent(ctx, "document.shared", {
					...out,
					share_expires_at: expiresAt.toISOString(),
				});

				return {
					document_id: doc._id,
					url: `${ctx.meta.publicUrl ?? ""}/v1/shared/documents/${token}`,
					expires_at: expiresAt.toISOString(),
				};
			},
		},

		/** `GET /v1/shared/documents/{token}`: the link is the credential, for one document. */
		shared: {
			scope: false,
			async handler(ctx: RestContext): Promise<Readable> {
				const link = verifyLink(this.linkKey, String(ctx.params.params?.token ?? ""));
				if (!link)
					throw new ApiError(
						"NOT_FOUND",
						"No such shared document, or the link has expired",
					);
				ctx.meta.auth = systemAuth(link.organization_id);

				return this.sendFile(ctx, await this.loadScoped(ctx, link.document_id));
			},
		},
	},

	methods: {
		/**
		 * The allowed types, and for binary formats, the signature their first bytes must carry.
		 */
		checkContent(upload: Upload): void {
			const type = upload.contentType;
			if (!(type in DOCUMENT_TYPES))
				throw new ApiError(
					"UNSUPPORTED_MEDIA_TYPE",
					`Documents of type ${type || "(none)"} are not accepted`,
					{
						details: [
							{
								field: "content_type",
								message: `must be one of ${Object.keys(DOCUMENT_TYPES).join(", ")}`,
								value: type,
							},
						],
					},
				);
			const signature = DOCUMENT_TYPES[type];
			if (signature && !upload.file.head.subarray(0, signature.length).equals(signature))
				throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `The content is not ${type}`, {
					details: [
						{
							field: "content_type",
							message: "does not match the file's content",
							value: type,
						},
					],
				});
		},

		/** Name, customer and description from the form (multipart) or the query (raw). */
		uploadFields(ctx: RestContext, upload: Upload): Body {
			const multipart = upload.filename !== undefined;
			const source: Record<string, unknown> = multipart
				? upload.fields
				: (ctx.params.query ?? {});
			const unknown = Object.keys(source).filter((k) => !UPLOAD_FIELDS.includes(k));
			if (unknown.length)
				throw validationError(
					unknown.map((field) => ({ field, message: "is not a field of an upload" })),
				);

			return { name: upload.filename || "document", ...source };
		},

		/**
		 * The file's facts join the validated fields; the file is moved into place before the row.
		 */
		async beforeCreate(ctx: RestContext, doc: Body): Promise<Body> {
			const upload = ctx.locals.upload as Upload;
			await this.files.keep(this.orgOf(ctx), upload.file);

			return {
				...doc,
				content_type: upload.contentType,
				size: upload.file.size,
				sha256: upload.file.sha256,
			};
		},

		/** The file goes with its last document. */
		async beforeRemove(_ctx: RestContext, current: StoredDoc): Promise<void> {
			const others: number = await this.storeCount({
				organization_id: current.organization_id,
				sha256: current.sha256,
				_id: { $ne: current._id },
			});
			if (others === 0)
				await this.files.remove(
					current.organization_id as string,
					current.sha256 as string,
				);
		},

		sendFile(ctx: RestContext, doc: StoredDoc): Readable {
			ctx.meta.$responseType = doc.content_type as string;
			ctx.meta.$responseHeaders = {
				"Content-Disposition": disposition(doc.name as string),
				"Content-Length": String(doc.size),
				"X-Content-Type-Options": "nosniff",
			};

			return this.files.open(doc.organization_id as string, doc.sha256 as string);
		},
	},

	created() {
		this.files = new FileStore(path.join(config().dataDir, "documents"));
		this.linkKey = signingKey(config().documentSigningKey, config().dataDir);
	},
};

export default DocumentsService;
