// An ImmuError's machine-readable `details` on the wire: the server writes them as one JSON object in
// the `immudbts-error-details` trailer (next to `immudbts-error-code`), our client reads them back
// into ImmuError.details, so callers branch on fields (SYNC_ACK_TIMEOUT's `acks`, `acksRequired`,
// `ackedBy`) instead of parsing message text. Only plain JSON values travel (strings, finite numbers,
// booleans, null, arrays and objects of those, a bounded depth); keys that look like secrets are
// dropped; an encoding larger than the limit is not sent at all. immudb clients ignore the trailer.
// Pure: no gRPC here.

/** Largest encoded details trailer, in bytes (gRPC header lists are bounded; details are small). */
export const errorDetailsBytesMax = 4 * 1024;
/** Deepest nesting kept; deeper values are dropped. */
const errorDetailsDepthMax = 4;

const secretKey = /password|passwd|token|secret|credential/i;

function plain(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (depth >= errorDetailsDepthMax || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1)).filter((v) => v !== undefined);
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined; // Errors, Buffers, class instances
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (secretKey.test(k)) continue;
    const p = plain(v, depth + 1);
    if (p !== undefined) out[k] = p;
  }
  return out;
}

/** Non-ASCII escaped as \uXXXX: a non-binary gRPC metadata value must be printable ASCII. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The trailer value for these details, or undefined when nothing plain is left or it is too large. */
export function encodeErrorDetails(details: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (details === undefined) return undefined;
  const kept = plain(details, 0);
  if (kept === undefined || typeof kept !== 'object' || kept === null || Object.keys(kept).length === 0) return undefined;
  const text = asciiJson(kept);
  return Buffer.byteLength(text) > errorDetailsBytesMax ? undefined : text;
}

/** The details a server sent, or undefined for anything that is not a bounded JSON object (untrusted input). */
export function decodeErrorDetails(text: string): Record<string, unknown> | undefined {
  if (text === '' || Buffer.byteLength(text) > errorDetailsBytesMax) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const kept = plain(parsed, 0);
  return typeof kept === 'object' && kept !== null && !Array.isArray(kept) ? (kept as Record<string, unknown>) : undefined;
}
