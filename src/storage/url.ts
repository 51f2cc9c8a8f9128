/**
 * What every backend's storage URL has in common: each backend takes its
 * driver's own URL, and memoryd's few extra settings ride along as query
 * parameters, which are removed before the URL reaches the driver (both pg
 * and the MongoDB driver reject or misread parameters they do not know).
 *
 * @module
 */

/** A storage URL that names no known backend or has bad options. */
export class StorageUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageUrlError";
  }
}

/** Query parameters whose values are secrets (pg's `password`, MongoDB's AWS session token, ...). */
const SECRET_PARAM = /pass|secret|token|credential|authmechanismproperties/i;

/**
 * The URL with its `user:password@` part and the values of secret-looking
 * query parameters masked, for logs and messages that quote it.
 */
export function redactUrl(url: string): string {
  const redacted = url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@?#]*@/, "$1***@");
  const queryStart = redacted.indexOf("?");
  if (queryStart < 0) return redacted;
  const query = redacted
    .slice(queryStart + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // a malformed name is judged as written
      }
      return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=***` : pair;
    })
    .join("&");
  return `${redacted.slice(0, queryStart)}?${query}`;
}

/** The scheme of a URL (`sqlite` of `sqlite://...`), or "" without one. */
export function schemeOf(url: string): string {
  return url.slice(0, Math.max(0, url.indexOf("://")));
}

/**
 * Splits memoryd's own query parameters (`owned`) off a URL, leaving every
 * other character of it as written.
 */
export function takeParams(url: string, owned: readonly string[]): { url: string; params: Map<string, string> } {
  const queryStart = url.indexOf("?");
  if (queryStart < 0) return { url, params: new Map() };
  const params = new Map<string, string>();
  const kept: string[] = [];
  for (const pair of url.slice(queryStart + 1).split("&")) {
    if (pair === "") continue;
    const [key = "", value = ""] = pair.split(/=(.*)/s);
    const name = decodeURIComponent(key);
    if (owned.includes(name)) params.set(name, decodeURIComponent(value.replace(/\+/g, " ")));
    else kept.push(pair);
  }
  const base = url.slice(0, queryStart);
  return { url: kept.length ? `${base}?${kept.join("&")}` : base, params };
}

/** An integer parameter of at least `min`, or `fallback` when absent. */
export function integerParam(params: Map<string, string>, name: string, fallback: number, min: number): number {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new StorageUrlError(`${name} must be an integer of at least ${min}, not "${raw}"`);
  return value;
}
