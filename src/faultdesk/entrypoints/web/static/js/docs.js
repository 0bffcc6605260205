// Starts Swagger UI on /openapi.json (a file, not an inline script, so the CSP holds).
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
