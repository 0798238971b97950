// api.js: the panel's only way to the daemon — the REST API (/api/v1) and the event stream
// (/api/v1/events over a WebSocket with a single-use ticket). The credential lives in
// sessionStorage (this tab only, gone when it closes) and travels as an Authorization header,
// never a cookie: another site cannot make the browser use it (no CSRF).

const KEY = "switchboard.credential";
const BASE = "/api/v1";

export const credential = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch { return null; }
  },
  set(c) { sessionStorage.setItem(KEY, JSON.stringify(c)); },
  clear() { sessionStorage.removeItem(KEY); },
};

export function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return { header: "Basic " + btoa(bin), label: user };
}

export function bearer(token) {
  return { header: "Bearer " + token.trim(), label: "token" };
}

/** An answer that is not 2xx: the API's problem+json (title, detail, errors with pointers). */
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.problem = p;
    this.errors = Array.isArray(p.errors) ? p.errors : [];
  }
  /** The message for one form field (JSON Pointer /name), if the API named it. */
  field(name) {
    const e = this.errors.find((x) => x.pointer === "/" + name || x.pointer === "/" + name.replace(/\//g, "~1"));
    return e ? e.detail : null;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

/** One API call: `api("GET", "/system")`, `api("POST", "/subscribers", {...})`. */
export async function api(method, path, body, { headers = {}, raw = false, cred = credential.get() } = {}) {
  const h = { Accept: "application/json, application/problem+json", "X-Requested-With": "switchboard-panel", ...headers };
  if (cred) h.Authorization = cred.header;
  let payload;
  if (body !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(BASE + path, { method, headers: h, body: payload, credentials: "omit", cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, { title: "the daemon cannot be reached", detail: `the daemon cannot be reached (${e.message})` });
  }
  if (raw && r.ok) return r;
  const text = await r.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text.trim() }; }
  }
  if (!r.ok) {
    if (r.status === 401 && cred) onUnauthorized();
    throw new ApiError(r.status, data);
  }
  return { data, headers: r.headers, status: r.status };
}

export const get = (path, opts) => api("GET", path, undefined, opts).then((r) => r.data);

/**
 * A write that needs If-Match (PUT, PATCH, DELETE of a versioned resource): reads the
 * resource's ETag first, so that a change made meanwhile by someone else is refused (412)
 * instead of overwritten.
 */
export async function writeMatching(method, path, body) {
  const cur = await api("GET", path);
  return api(method, path, body, { headers: { "If-Match": cur.headers.get("ETag") || "*" } });
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

/** The cursor of the next page from a Link: <…?cursor=X>; rel="next" header. */
export function nextCursor(headers, data) {
  if (data && typeof data === "object" && data.next_cursor) return data.next_cursor;
  const link = headers && headers.get("Link");
  if (!link) return null;
  const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(link);
  if (!m) return null;
  return new URL(m[1], location.origin).searchParams.get("cursor");
}

/**
 * The event stream: asks for a ticket, opens the WebSocket, subscribes, reconnects with backoff.
 * Returns a function that closes it. `onEvent({event, seq, time, params})`, `onState(text)`.
 */
export function openEvents({ subscribe, statistics, onEvent, onState = () => {} }) {
  let ws = null;
  let closed = false;
  let delay = 500;
  let timer = null;
  async function connect() {
    if (closed) return;
    onState("connecting");
    try {
      const { data: t } = await api("POST", "/events/tickets");
      if (closed) return;
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      ws = new WebSocket(`${scheme}//${location.host}${t.url}`);
      ws.onopen = () => {
        delay = 500;
        const msg = { subscribe };
        if (statistics) msg.statistics = statistics;
        ws.send(JSON.stringify(msg));
        onState("live");
      };
      ws.onmessage = (m) => {
        let e;
        try { e = JSON.parse(m.data); } catch { return; }
        if (e && e.event) onEvent(e);
        else if (e && e.error) onState(`refused: ${e.error.message || JSON.stringify(e.error)}`);
      };
      ws.onclose = (c) => {
        ws = null;
        if (closed) return;
        onState(c.code === 4008 ? "fell behind: reconnecting" : "disconnected: reconnecting");
        retry();
      };
    } catch (e) {
      onState(`disconnected (${e.message}): retrying`);
      retry();
    }
  }
  function retry() {
    clearTimeout(timer);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 15000);
  }
  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (ws) ws.close(1000, "page left");
  };
}
