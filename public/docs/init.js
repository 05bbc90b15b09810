// Renders /openapi.json; "Authorize" takes an API key or an access token.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#reference", deepLinking: true });
