// The console's page: the sign-in form until there is a session, then the workspace
// (organization, live events, webhooks, API keys) until the session ends.
import { call, orgPath } from "./api.js";
import { busy, byId, el, fill, say } from "./dom.js";
import { loadApiKeys, resetApiKeys, setUpApiKeys } from "./api-keys.js";
import { setUpLiveEvents, startLiveEvents, stopLiveEvents } from "./live-events.js";
import { onSessionChange, session, signIn, signOut } from "./session.js";
import { loadWebhooks, resetWebhooks, setUpWebhooks } from "./webhooks.js";

async function showOrganization(user) {
	const header = byId("organization");
	fill(header, el("span", { class: "user" }, user.email), ` (${user.role})`);
	header.hidden = false;
	try {
		const { data } = await call("GET", orgPath(""));
		fill(
			header,
			el("strong", { class: "org-name" }, data.name),
			" ",
			el("span", { class: "muted mono", title: "Organization id" }, data.id),
			" · ",
			el("span", { class: "user" }, user.email),
			` (${user.role})`,
		);
	} catch {
		// The member may lack organizations:read; the email and role are still shown.
	}
}

function enterWorkspace(current) {
	byId("sign-in").hidden = true;
	byId("workspace").hidden = false;
	byId("sign-out").hidden = false;
	showOrganization(current.user);
	startLiveEvents();
	loadWebhooks();
	loadApiKeys();
}

function leaveWorkspace() {
	stopLiveEvents();
	resetWebhooks();
	resetApiKeys();
	byId("workspace").hidden = true;
	byId("sign-out").hidden = true;
	byId("organization").hidden = true;
	byId("sign-in").hidden = false;
	byId("sign-in-form").elements.email.focus();
}

function signInMessage(err) {
	if (err.code === "UNAUTHORIZED") return "The email or password is wrong";
	if (err.code === "RATE_LIMITED") return "Too many failed sign-ins; try again later";

	return err.message;
}

function setUpSignIn() {
	const form = byId("sign-in-form");
	form.addEventListener("submit", (e) => {
		e.preventDefault();
		const fields = new FormData(form);
		busy(form.querySelector("button[type=submit]"), async () => {
			try {
				await signIn(fields.get("email"), fields.get("password"));
				say(byId("sign-in-error"), "");
				form.reset();
			} catch (err) {
				say(byId("sign-in-error"), signInMessage(err));
			}
		});
	});
	byId("sign-out").addEventListener("click", () => signOut());
}

let signedIn = false;

onSessionChange((current) => {
	// A refresh changes the tokens only; entering or leaving happens on sign-in and sign-out.
	if (Boolean(current) === signedIn) return;
	signedIn = Boolean(current);
	if (current) enterWorkspace(current);
	else {
		leaveWorkspace();
		say(byId("notice"), "Signed out");
	}
});

setUpSignIn();
setUpLiveEvents();
setUpWebhooks();
setUpApiKeys();
if (session()) {
	signedIn = true;
	enterWorkspace(session());
}
