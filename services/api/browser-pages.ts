/**
 * The browser pages the gateway serves beside the API: the developer console (public/console/),
 * the GraphQL explorer (public/graphiql/) and the API reference (public/docs/). Their
 * third-party files come from node_modules, never a CDN (the console and the explorer get only
 * the files they name), and every answer carries a Content-Security-Policy that runs scripts of
 * this origin only, so a value the pages show can never run as code.
 */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import serveStatic from "serve-static";

const PUBLIC_DIR = path.resolve(__dirname, "..", "..", "public");

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** A file inside an installed package, e.g. `["react", "umd/react.production.min.js"]`. */
type PackageFile = readonly [pkg: string, file: string];

/**
 * The console: scripts and styles of this origin, API calls and the socket.io connection to it
 * (CSP Level 3 `'self'` covers `ws:` to the same host).
 */
const CONSOLE_POLICY = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"form-action 'self'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
].join("; ");

/**
 * GraphiQL and Swagger UI: the same, except that their editors and React write `style`
 * attributes and their stylesheets embed icons and fonts as data: URIs. Scripts stay 'self'.
 */
const EXPLORER_POLICY = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self' 'unsafe-inline'",
	"img-src 'self' data:",
	"font-src 'self' data:",
	"connect-src 'self'",
	"form-action 'none'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
].join("; ");

/** The files each page loads from node_modules, by the name it asks for under `vendor/`. */
const CONSOLE_VENDOR: Record<string, PackageFile> = {
	"socket.io.esm.min.js": ["socket.io", "client-dist/socket.io.esm.min.js"],
};

const EXPLORER_VENDOR: Record<string, PackageFile> = {
	"react.production.min.js": ["react", "umd/react.production.min.js"],
	"react-dom.production.min.js": ["react-dom", "umd/react-dom.production.min.js"],
	"graphiql.min.js": ["graphiql", "graphiql.min.js"],
	"graphiql.min.css": ["graphiql", "graphiql.min.css"],
	"graphql-ws.min.js": ["graphql-ws", "umd/graphql-ws.min.js"],
};

function securityHeaders(policy: string): Middleware {
	return (_req, res, next) => {
		res.setHeader("Content-Security-Policy", policy);
		res.setHeader("X-Content-Type-Options", "nosniff");
		res.setHeader("X-Frame-Options", "DENY");
		res.setHeader("Referrer-Policy", "no-referrer");
		next();
	};
}

/**
 * `/vendor/<name>` answered with the listed package file; any other path passes on. Each
 * package's directory is served with the URL narrowed to that one file, so nothing else in it
 * can be asked for. Packages are found at start-up: a missing one stops the gateway, not a page.
 */
function vendorFiles(files: Record<string, PackageFile>): Middleware {
	const byName = new Map<string, { server: Middleware; url: string }>();
	for (const [name, [pkg, file]] of Object.entries(files)) {
		const dir = path.dirname(require.resolve(`${pkg}/package.json`));
		byName.set(name, {
			server: serveStatic(dir, { index: false, fallthrough: true }),
			url: `/${file}`,
		});
	}

	return (req, res, next) => {
		const match = /^\/vendor\/([^/?]+)(\?.*)?$/.exec(req.url ?? "");
		const vendor = match ? byName.get(match[1]) : undefined;
		if (!vendor) return next();
		const asked = req.url;
		req.url = vendor.url;
		vendor.server(req, res, (err) => {
			req.url = asked;
			next(err);
		});
	};
}

/** One page: its own folder under public/, its vendor files and its policy. */
function pageRoute(
	urlPath: string,
	folder: string,
	policy: string,
	vendor: Record<string, PackageFile>,
) {
	return {
		path: urlPath,
		use: [
			securityHeaders(policy),
			vendorFiles(vendor),
			serveStatic(path.join(PUBLIC_DIR, folder), { index: "index.html", dotfiles: "ignore" }),
		],
		mappingPolicy: "restrict",
		autoAliases: false,
	};
}

/**
 * The API reference: its page, then Swagger UI's own files (the page asks for them by their
 * names in swagger-ui-dist, which holds nothing but the UI's build).
 */
function referenceRoute() {
	return {
		path: "/docs",
		use: [
			securityHeaders(EXPLORER_POLICY),
			serveStatic(path.join(PUBLIC_DIR, "docs"), { index: "index.html" }),
			serveStatic(path.dirname(require.resolve("swagger-ui-dist/package.json")), {
				index: false,
			}),
		],
		mappingPolicy: "restrict",
		autoAliases: false,
	};
}

/**
 * `GET /` (contract: the developer console): the console's own page, under its policy. Its
 * files are named by absolute paths under /console/, so the page works from either address.
 */
export function consoleHome(): (req: IncomingMessage, res: ServerResponse) => void {
	const page = fs.readFileSync(path.join(PUBLIC_DIR, "console", "index.html"));
	const headers = securityHeaders(CONSOLE_POLICY);

	return (req, res) =>
		headers(req, res, () => {
			res.writeHead(200, {
				"Content-Type": "text/html; charset=utf-8",
				"Content-Length": page.length,
				"Cache-Control": "no-cache",
			});
			res.end(page);
		});
}

/** The routes of the console (`/console`), the GraphQL explorer (`/graphiql`) and `/docs`. */
export function browserPageRoutes(): Record<string, unknown>[] {
	return [
		pageRoute("/console", "console", CONSOLE_POLICY, CONSOLE_VENDOR),
		pageRoute("/graphiql", "graphiql", EXPLORER_POLICY, EXPLORER_VENDOR),
		referenceRoute(),
	];
}
