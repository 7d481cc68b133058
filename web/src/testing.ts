/** Helpers shared by the Vitest files (never imported by the app). */

/** A fetch Response carrying `body` as JSON, as the API sends it. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
