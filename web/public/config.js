// Runtime configuration of the Log Center dashboard, loaded before the app.
// Replace this file when deploying (no rebuild needed):
//   apiBaseUrl: where the API lives. "" = the origin that serves this page (the local
//   gateway); e.g. "https://faas.example.com" for an OpenFaaS gateway whose ingress maps
//   /api/v1/... to the functions. No trailing slash needed.
window.LOGCENTER_CONFIG = {
  apiBaseUrl: "",
};
