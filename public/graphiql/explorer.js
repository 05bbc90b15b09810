// GraphiQL against this gateway's /graphql with the console's session (same tab): every request
// carries the current access token, and an answer of 401 gets one refresh and one more try.
// Operations are POSTed as application/json, which the /graphql CSRF rule asks for;
// subscriptions go over graphql-ws on the same path, with the token in connectionParams.
import { accessToken, refresh, session } from "/console/js/session.js";

const DEFAULT_QUERY = `# Your organization's first customers, with their contacts.
{
  customers(pagination: { first: 5 }) {
    totalCount
    nodes { id name segment contacts(first: 2) { name email } }
  }
}
`;

function withToken(init) {
	const headers = new Headers(init?.headers);
	headers.set("Authorization", `Bearer ${accessToken()}`);

	return { ...init, headers };
}

async function authorizedFetch(input, init) {
	const response = await fetch(input, withToken(init));
	if (response.status !== 401) return response;
	await refresh();

	return fetch(input, withToken(init));
}

/** Close code of a graphql-ws connection whose credential the gateway refused. */
const UNAUTHORIZED_CLOSE = 4401;

/**
 * One graphql-ws connection, opened when a subscription starts. Its parameters are a function,
 * so every (re)connection presents the session's current access token; after a refusal the
 * token is renewed and the next subscription connects with the new one.
 */
function subscriptionClient() {
	return window.graphqlWs.createClient({
		url: `${location.origin.replace(/^http/, "ws")}/graphql`,
		lazy: true,
		connectionParams: () => ({ authorization: `Bearer ${accessToken()}` }),
		on: {
			closed: (event) => {
				if (event?.code === UNAUTHORIZED_CLOSE) refresh().catch(() => {});
			},
		},
	});
}

function explain(text, link) {
	const message = document.getElementById("explorer-message");
	message.textContent = text;
	if (link) {
		const anchor = document.createElement("a");
		anchor.href = link.href;
		anchor.textContent = link.text;
		message.append(" ", anchor);
	}
}

function start() {
	const current = session();
	if (!current) {
		explain("The explorer uses the console's session.", {
			href: "/console/",
			text: "Sign in on the developer console first.",
		});

		return;
	}
	document.getElementById("explorer-user").textContent = current.user.email;
	const fetcher = window.GraphiQL.createFetcher({
		url: "/graphql",
		fetch: authorizedFetch,
		wsClient: subscriptionClient(),
	});
	const root = window.ReactDOM.createRoot(document.getElementById("explorer"));
	root.render(
		window.React.createElement(window.GraphiQL, {
			fetcher,
			defaultQuery: DEFAULT_QUERY,
			// The token is added to each request; the headers editor need not show it.
			isHeadersEditorEnabled: false,
		}),
	);
}

start();
