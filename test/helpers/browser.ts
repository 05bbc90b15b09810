/**
 * Headless Chromium for the browser suites: Debian's own binary driven by playwright-core
 * (a browser that downloads itself is not available here). Suites are reported skipped where
 * it is not installed, except under CI=true, where its absence fails the run.
 */
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { OWNER_PASSWORD } from "./auth";
import { ROOT } from "./gateway";

export const CHROMIUM = "/usr/bin/chromium";

/** Where the suites put their screenshots (ignored by git). */
export const ARTIFACTS = path.join(ROOT, "test", "artifacts");

export const describeWithChromium =
	fs.existsSync(CHROMIUM) || process.env.CI === "true" ? describe : describe.skip;

/** A headless Chromium, and the artifacts folder ready for its screenshots. */
export async function launchChromium(): Promise<Browser> {
	fs.mkdirSync(ARTIFACTS, { recursive: true });

	return chromium.launch({
		executablePath: CHROMIUM,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
	});
}

/** What a page did, for the checks that no token reached a URL and no script was refused. */
export interface PageWatch {
	/** Every URL the page asked for (documents, scripts, API calls, WebSocket transports). */
	requested: string[];
	/** Script errors and console errors (a CSP violation or a missing file is reported as one). */
	errors: string[];
}

export function watchPage(page: Page): PageWatch {
	const watch: PageWatch = { requested: [], errors: [] };
	page.on("request", (request) => watch.requested.push(request.url()));
	page.on("websocket", (socket) => watch.requested.push(socket.url()));
	page.on("pageerror", (err) => watch.errors.push(err.message));
	page.on("console", (message) => {
		// A 401 is how the console learns that its access token needs renewing.
		if (message.type() === "error" && !message.text().includes("status of 401"))
			watch.errors.push(`${message.text()} (${message.location().url})`);
	});

	return watch;
}

/** Signs in on the developer console's form at `url` and waits for its workspace. */
export async function signInOnConsole(
	page: Page,
	url: string,
	email: string,
	password = OWNER_PASSWORD,
): Promise<void> {
	await page.goto(url);
	await page.locator("#sign-in").waitFor({ state: "visible" });
	await page.fill("#sign-in-form input[name=email]", email);
	await page.fill("#sign-in-form input[name=password]", password);
	await page.click("#sign-in-form button[type=submit]");
	await page.locator("#workspace").waitFor({ state: "visible" });
}

/** `test/artifacts/<name>.png` of the whole page. */
export async function screenshot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
