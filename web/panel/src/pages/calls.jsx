// calls.jsx: the calls in progress (GET /calls, kept current by E_CALL_STATE and E_CDR over the
// event stream) with a "Hang up" per call (DELETE /calls/{id}); below, the CDRs of a time window
// (GET /cdrs, newest first, paged by the API's cursor) and a CSV download of the whole window,
// fetched page by page through the API and built here, in the browser.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, get, nextCursor, openEvents, query } from "../api.js";
import { duration, when } from "../format.js";
import { ActionButton, Empty, ErrorBox, Field, Header, Loading, Notice, Pager, useAction, useConfirm, useLoad } from "../ui.jsx";

const PAGE = 50;        // CDRs per page on screen
const CSV_PAGE = 1000;  // CDRs per request for the CSV (the API's maximum)
const CSV_MAX_PAGES = 5000;

// ---- helpers ---------------------------------------------------------------------------------

/** A Date as the value of an <input type="datetime-local" step="1"> (local time). */
function localInput(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A datetime-local value (local time) as unix seconds; null when empty or not a date. */
function unixOf(value) {
  if (!value) return null;
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

/** The API's message for a query parameter (problem errors[].parameter) or a body member. */
function paramError(error, name) {
  if (!error || !Array.isArray(error.errors)) return null;
  const e = error.errors.find((x) => x.parameter === name || x.pointer === "/" + name);
  return e ? e.detail : null;
}

/** unix ms → local date and time, "–" for 0 (never). */
function whenMs(ms) {
  return ms ? when(ms / 1000) : "–";
}

function isoMs(ms) {
  return ms ? new Date(ms).toISOString() : "";
}

/** One CSV cell: formula-looking text gets a leading ', then RFC 4180 quoting when needed. */
export function csvCell(v) {
  if (v === null || v === undefined) return "";
  let s = typeof v === "object" ? JSON.stringify(v) : String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function csvLine(cells) {
  return cells.map(csvCell).join(",") + "\r\n";
}

/** Saves text as a file through a temporary <a download> (nothing leaves the browser). */
export function saveText(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const CSV_COLUMNS = [
  ["cdr", (c) => c.cdr], ["call", (c) => c.call],
  ["start", (c) => isoMs(c.start_ms)], ["answer", (c) => isoMs(c.answer_ms)], ["end", (c) => isoMs(c.end_ms)],
  ["duration_s", (c) => (c.duration_ms ?? 0) / 1000],
  ["source", (c) => c.source], ["caller", (c) => c.caller], ["called", (c) => c.called],
  ["new_caller", (c) => c.new_caller], ["new_called", (c) => c.new_called], ["target", (c) => c.target],
  ["rule", (c) => c.rule], ["sip_code", (c) => c.sip_code], ["cause", (c) => c.cause], ["reason", (c) => c.reason],
  ["start_ms", (c) => c.start_ms], ["answer_ms", (c) => c.answer_ms], ["end_ms", (c) => c.end_ms],
  ["duration_ms", (c) => c.duration_ms], ["legs", (c) => (c.legs && c.legs.length ? c.legs : "")],
];

function stateClass(state) {
  if (state === "answered") return "badge answered";
  if (state === "ended") return "badge failed";
  return "badge other";
}

function cdrOutcome(c) {
  if (!c.end_ms) return <span class="badge other">in progress</span>;
  if (c.answer_ms) return <span class="badge answered">answered</span>;
  return <span class="badge failed">not answered</span>;
}

// ---- live calls ------------------------------------------------------------------------------

/** GET /calls as rows, with the time each was read (ages tick on from it). */
function useCalls() {
  const [st, set] = useState({ rows: null, error: null, loading: true });
  const serial = useRef(0);
  const reload = useCallback(() => {
    const n = ++serial.current;
    set((s) => ({ ...s, loading: true }));
    get("/calls").then(
      (d) => {
        if (n !== serial.current) return;
        const at = Date.now() / 1000;
        const rows = (d && Array.isArray(d.Calls) ? d.Calls : []).filter((c) => c && typeof c === "object")
          .map((c) => ({ ...c, _at: at }));
        set({ rows, error: null, loading: false });
      },
      (error) => n === serial.current && set((s) => ({ rows: s.rows, error, loading: false })));
  }, []);
  useEffect(reload, [reload]);
  const patch = useCallback((fn) => set((s) => (s.rows ? { ...s, rows: fn(s.rows) } : s)), []);
  return { ...st, reload, patch };
}

function LiveCalls({ calls, now }) {
  const [ask, dialog] = useConfirm();
  const act = useAction();
  const [ending, setEnding] = useState(null);

  function hangUp(c) {
    ask(`Hang up call ${c.id} (${c.caller || "?"} → ${c.called || "?"}, ${c.state})? Both sides are released.`,
      async () => {
        setEnding(c.id);
        const r = await act.run(() => api("DELETE", `/calls/${encodeURIComponent(c.id)}`),
          (res) => `Call ${c.id} hung up (it was ${res.data?.was || "ended"}).`);
        setEnding(null);
        if (r) calls.patch((rows) => rows.filter((x) => x.id !== c.id));
        calls.reload();
      }, "Hang up");
  }

  const rows = calls.rows;
  return (
    <>
      <ErrorBox error={calls.error} retry={calls.reload} />
      <ErrorBox error={act.error} />
      <Notice text={act.notice} />
      {calls.loading && !rows ? <Loading what="the calls" /> : rows && rows.length === 0 ? (
        <Empty>No call in progress.</Empty>
      ) : rows && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Calls in progress">
          <table data-testid="calls-table">
            <caption class="sr-only">Calls in progress</caption>
            <thead>
              <tr>
                <th scope="col">Call</th>
                <th scope="col">State</th>
                <th scope="col">Source</th>
                <th scope="col">Caller</th>
                <th scope="col">Called</th>
                <th scope="col">After the dialplan</th>
                <th scope="col">Target</th>
                <th scope="col" class="num">Port</th>
                <th scope="col" class="num">Age</th>
                <th scope="col" class="num">Connected</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => {
                const since = Math.max(0, now - c._at);
                const connected = c.state === "answered" ? (c.connected_s || 0) + since : c.connected_s;
                return (
                  <tr key={c.id} data-call={c.id}>
                    <td>{c.id}</td>
                    <td><span class={stateClass(c.state)}>{c.state}</span></td>
                    <td>{c.source}</td>
                    <td>{c.caller}</td>
                    <td>{c.called}</td>
                    <td>{c.new_caller || c.new_called ? `${c.new_caller || "–"} → ${c.new_called || "–"}` : "–"}
                      {c.rule ? <small class="muted"> (rule {c.rule})</small> : null}</td>
                    <td>{c.target || "routing…"}</td>
                    <td class="num">{c.port || "–"}</td>
                    <td class="num">{duration((c.age_s || 0) + since)}</td>
                    <td class="num">{connected ? duration(connected) : "–"}</td>
                    <td>
                      <ActionButton need="operator" class="danger" busy={ending === c.id}
                                    aria-label={`Hang up call ${c.id}`} onClick={() => hangUp(c)}>Hang up</ActionButton>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {dialog}
    </>
  );
}

// ---- CDRs ------------------------------------------------------------------------------------

/** The default window: the last 24 hours, its end left open (the API's "now" at each query). */
function defaultWindow() {
  return { from: localInput(new Date(Date.now() - 86400 * 1000)), to: "" };
}

function Cdrs({ cdrTick }) {
  const [form, setForm] = useState(defaultWindow);
  const [win, setWin] = useState(() => ({ from: unixOf(form.from), to: null }));
  const [formError, setFormError] = useState(null);
  const [cursors, setCursors] = useState([null]);  // cursors[i]: the cursor of page i + 1
  const page = cursors.length;
  const [tick, setTick] = useState(0);
  const csv = useAction();
  const [progress, setProgress] = useState("");

  // The API's default end ("now", excluded, in whole seconds) leaves out a CDR started in the
  // current second: a call that failed at once, announced by E_CDR a moment ago, would be missing.
  // An open window asks up to the end of the current second instead, by this browser's clock or
  // by the daemon's as the newest E_CDR showed it, whichever is later.
  const newest = useRef(0);  // unix s: the start of the newest CDR announced by E_CDR
  const openEnd = () => Math.max(Math.floor(Date.now() / 1000), newest.current) + 1;

  const list = useLoad(() => api("GET", "/cdrs" + query({ from: win.from, to: win.to ?? openEnd(), limit: PAGE, cursor: cursors[page - 1] }))
    .then((r) => ({ rows: Array.isArray(r.data?.CDRs) ? r.data.CDRs : [], next: nextCursor(r.headers, r.data) })),
  [win, cursors, tick]);

  // A CDR was committed: the first page shows it if it is in the window.
  const firstPage = page === 1;
  useEffect(() => {
    if (!cdrTick.n) return;
    const start = (cdrTick.start_ms || 0) / 1000;
    newest.current = Math.max(newest.current, Math.floor(start));
    if (!firstPage) return;
    if (start >= win.from && (win.to === null || start < win.to)) setTick((t) => t + 1);
  }, [cdrTick]);

  function search(e) {
    e.preventDefault();
    const from = unixOf(form.from), to = unixOf(form.to);
    if (from === null) { setFormError("Give the start of the window."); return; }
    if (form.to && to === null) { setFormError("The end of the window is not a date and time."); return; }
    if (to !== null && from >= to) { setFormError("The start must be before the end."); return; }
    setFormError(null);
    setWin({ from, to });
    setCursors([null]);
  }

  function last24h() {
    const w = defaultWindow();
    setForm(w);
    setFormError(null);
    setWin({ from: unixOf(w.from), to: null });
    setCursors([null]);
  }

  async function download() {
    setProgress("");
    await csv.run(async () => {
      const parts = [csvLine(CSV_COLUMNS.map(([name]) => name))];
      let cursor = null, rows = 0, pages = 0;
      const to = win.to ?? openEnd();
      do {
        setProgress(`Fetching page ${pages + 1} (${rows} CDRs so far)…`);
        const r = await api("GET", "/cdrs" + query({ from: win.from, to, limit: CSV_PAGE, cursor }));
        const list = Array.isArray(r.data?.CDRs) ? r.data.CDRs : [];
        for (const c of list) parts.push(csvLine(CSV_COLUMNS.map(([, f]) => f(c))));
        rows += list.length;
        pages++;
        cursor = nextCursor(r.headers, r.data);
      } while (cursor && pages < CSV_MAX_PAGES);
      const stamp = (t) => localInput(new Date(t * 1000)).replace(/[:T]/g, "-");
      const name = `cdrs-${stamp(win.from)}-to-${win.to === null ? "now" : stamp(win.to)}.csv`;
      saveText(parts.join(""), name, "text/csv;charset=utf-8");
      return { rows, name, capped: !!cursor };
    }, (r) => `Saved ${r.rows} CDR${r.rows === 1 ? "" : "s"} as ${r.name}${r.capped ? " (stopped at the page limit: narrow the window)" : ""}.`);
    setProgress("");
  }

  const apiFrom = paramError(list.error, "from"), apiTo = paramError(list.error, "to");
  const data = list.data;
  return (
    <>
      <form class="card inline" onSubmit={search} aria-label="CDR time window">
        <Field label="From (local time)" name="cdr-from" type="datetime-local" step="1" value={form.from} required
               error={apiFrom} onInput={(e) => setForm({ ...form, from: e.currentTarget.value })} />
        <Field label="To (local time, excluded; empty: now)" name="cdr-to" type="datetime-local" step="1" value={form.to}
               error={apiTo} onInput={(e) => setForm({ ...form, to: e.currentTarget.value })} />
        <div class="buttons field-buttons">
          <button type="submit" class="primary">Show CDRs</button>
          <button type="button" onClick={last24h}>Last 24 hours</button>
          <ActionButton need="read_only" busy={csv.busy} onClick={download}
                        title="Fetches every page of the window shown below and saves it as CSV">Download CSV</ActionButton>
        </div>
      </form>
      {formError && <p class="error" role="alert">{formError}</p>}
      {progress && <p class="state" role="status">{progress}</p>}
      <ErrorBox error={csv.error} />
      <Notice text={csv.notice} />
      <p class="muted">CDRs of calls started from {when(win.from)} to {win.to === null ? "now" : when(win.to)}, newest first.</p>
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !data ? <Loading what="the CDRs" /> : data && data.rows.length === 0 ? (
        <Empty>{page === 1 ? "No CDR in this window." : "No more CDRs."}</Empty>
      ) : data && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Call detail records"
             aria-busy={list.loading ? "true" : undefined}>
          <table data-testid="cdrs-table">
            <caption class="sr-only">Call detail records</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Call</th>
                <th scope="col">Source</th>
                <th scope="col">Caller</th>
                <th scope="col">Called</th>
                <th scope="col">After the dialplan</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col" class="num">Duration</th>
                <th scope="col" class="num">SIP</th>
                <th scope="col" class="num">Cause</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((c) => (
                <tr key={c.cdr}>
                  <td>{whenMs(c.start_ms)}</td>
                  <td>{c.call}</td>
                  <td>{c.source}</td>
                  <td>{c.caller}</td>
                  <td>{c.called}</td>
                  <td>{c.new_caller || c.new_called ? `${c.new_caller || "–"} → ${c.new_called || "–"}` : "–"}
                    {c.rule ? <small class="muted"> (rule {c.rule})</small> : null}</td>
                  <td>{c.target || "–"}</td>
                  <td>{cdrOutcome(c)}</td>
                  <td class="num">{c.answer_ms && c.end_ms ? duration((c.duration_ms || 0) / 1000) : "–"}</td>
                  <td class="num">{c.sip_code || "–"}</td>
                  <td class="num">{c.cause || "–"}</td>
                  <td>{c.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(page > 1 || data?.next) && (
        <Pager page={page} cursor={data?.next}
               onNext={() => data?.next && setCursors([...cursors, data.next])}
               onFirst={() => setCursors([null])} />
      )}
    </>
  );
}

// ---- the page --------------------------------------------------------------------------------

export default function Calls() {
  const calls = useCalls();
  const [stream, setStream] = useState("connecting");
  const [now, setNow] = useState(Date.now() / 1000);
  const [cdrTick, setCdrTick] = useState({ n: 0 });
  const reloadTimer = useRef(null);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    // A burst of events (a call set-up, many calls) is one reload, a moment later.
    const reloadSoon = () => {
      if (reloadTimer.current) return;
      reloadTimer.current = setTimeout(() => { reloadTimer.current = null; calls.reload(); }, 400);
    };
    const close = openEvents({
      subscribe: ["E_CALL_STATE", "E_CDR"],
      onState: (s) => {
        setStream(s);
        if (s === "live") reloadSoon();  // (re)connected: what was missed meanwhile
      },
      onEvent: (e) => {
        const p = e.params || {};
        if (e.event === "E_CALL_STATE") {
          const at = Date.now() / 1000;
          if (p.state === "ended") {
            calls.patch((rows) => rows.filter((c) => c.id !== p.call));
            return;
          }
          calls.patch((rows) => rows.map((c) => {
            if (c.id !== p.call) return c;
            const up = { ...c, state: p.state, _at: at, age_s: (c.age_s || 0) + Math.max(0, at - c._at) };
            for (const k of ["new_caller", "new_called", "rule", "port"]) if (p[k] !== null && p[k] !== undefined) up[k] = p[k];
            if (p.target) up.target = p.target;
            if (p.state === "answered" && c.state !== "answered") up.connected_s = 0;
            return up;
          }));
          reloadSoon();  // the patch shows it at once; the API's row (ages, a new call) follows
        } else if (e.event === "E_CDR") {
          calls.patch((rows) => rows.filter((c) => c.id !== p.call_id));
          setCdrTick((t) => ({ n: t.n + 1, start_ms: p.start_ms }));
        }
      },
    });
    return () => { clearInterval(timer); clearTimeout(reloadTimer.current); close(); };
  }, []);

  return (
    <section>
      <Header title="Calls & CDRs">
        <span class={"stream " + (stream === "live" ? "live" : "")} role="status">Live updates: {stream}</span>
        <button type="button" onClick={calls.reload} disabled={calls.loading}>Refresh calls</button>
      </Header>
      <h2>Calls in progress{calls.rows ? ` (${calls.rows.length})` : ""}</h2>
      <LiveCalls calls={calls} now={now} />
      <h2>Call detail records</h2>
      <Cdrs cdrTick={cdrTick} />
    </section>
  );
}
