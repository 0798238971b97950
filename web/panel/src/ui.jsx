// ui.jsx: the pieces every page shares — loading/empty/error states, a confirmation dialog,
// form fields that show the API's per-field messages, a paged table, role-aware buttons.
// Everything user-supplied is rendered as text by Preact (never as HTML).
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import { api, openEvents } from "./api.js";

/** {role, name} of the logged-in caller (GET /whoami). */
export const Session = createContext({ role: "read_only", name: "" });

const RANK = { read_only: 0, operator: 1, admin: 2 };
/** Whether the session may run a command needing `need` (read_only | operator | admin). */
export function useAllowed(need = "operator") {
  const s = useContext(Session);
  return RANK[s.role] >= RANK[need];
}
export function roleReason(need = "operator") {
  return need === "admin" ? "needs the admin role (you are logged in read-only or as operator)"
                          : "you are logged in read-only: this needs the operator or admin role";
}

/** A button that is disabled, with the reason as its tooltip, when the role may not do it. */
export function ActionButton({ need = "operator", busy, children, title, disabled, class: cls = "", ...rest }) {
  const allowed = useAllowed(need);
  const why = allowed ? title : roleReason(need);
  return (
    <button type="button" class={cls} {...rest} disabled={!allowed || busy || disabled} title={why}
            aria-disabled={!allowed ? "true" : undefined} aria-busy={busy ? "true" : undefined}>
      {busy ? "Working…" : children}
    </button>
  );
}

export function Loading({ what = "" }) {
  return <p class="state loading" role="status">Loading{what ? " " + what : ""}…</p>;
}

export function Empty({ children }) {
  return <p class="state empty">{children}</p>;
}

/** An API error as the API worded it, plus the status. */
export function ErrorBox({ error, retry }) {
  if (!error) return null;
  const status = error.status ? ` (HTTP ${error.status})` : "";
  return (
    <div class="error" role="alert">
      <strong>{error.problem?.title && error.problem.title !== error.message ? error.problem.title + ": " : ""}</strong>
      {error.message}{status}
      {error.errors?.length > 0 && (
        <ul>{error.errors.map((e) => <li key={e.pointer}><code>{e.pointer || "/"}</code> {e.detail}</li>)}</ul>
      )}
      {retry && <button type="button" onClick={retry}>Retry</button>}
    </div>
  );
}

/** A short-lived note ("Subscriber added"). */
export function Notice({ text }) {
  return text ? <p class="notice" role="status">{text}</p> : null;
}

/**
 * useLoad(fn, deps): runs the async fn, returns {data, error, loading, reload}. The latest
 * call wins (an older answer arriving late is ignored).
 */
export function useLoad(fn, deps = []) {
  const [state, set] = useState({ data: null, error: null, loading: true });
  const serial = useRef(0);
  const reload = useCallback(() => {
    const n = ++serial.current;
    set((s) => ({ ...s, loading: true }));
    fn().then((data) => n === serial.current && set({ data, error: null, loading: false }),
              (error) => n === serial.current && set({ data: null, error, loading: false }));
  }, deps);
  useEffect(reload, [reload]);
  return { ...state, reload };
}

/** useAction(): runs one change at a time; {run, busy, error, notice}. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState("");
  const run = useCallback(async (fn, done) => {
    setBusy(true);
    setError(null);
    setNotice("");
    try {
      const r = await fn();
      if (done) setNotice(typeof done === "function" ? done(r) : done);
      return r;
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, notice, setError };
}

/** A labelled input; `error` is the API's message for this field (from its JSON Pointer). */
export function Field({ label, name, error, hint, children, ...input }) {
  const id = "f-" + name;
  return (
    <div class={"field" + (error ? " invalid" : "")}>
      <label for={id}>{label}</label>
      {children || <input id={id} name={name} aria-invalid={error ? "true" : undefined}
                          aria-describedby={error ? id + "-err" : undefined} {...input} />}
      {hint && !error && <small>{hint}</small>}
      {error && <small id={id + "-err"} class="field-error">{error}</small>}
    </div>
  );
}

/** A modal confirmation: <Confirm open text onYes onNo /> (Escape or "Cancel" closes it). */
export function Confirm({ open, title = "Are you sure?", text, yes = "Yes", onYes, onNo, busy }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); onNo(); }}>
      <h2 id="confirm-title">{title}</h2>
      <p>{text}</p>
      <div class="buttons">
        <button type="button" onClick={onNo}>Cancel</button>
        <button type="button" class="danger" onClick={onYes} disabled={busy}>{busy ? "Working…" : yes}</button>
      </div>
    </dialog>
  );
}

/** useConfirm(): const [ask, dialog] = useConfirm(); ask("Delete X?", () => …) */
export function useConfirm() {
  const [req, setReq] = useState(null);
  const [busy, setBusy] = useState(false);
  const ask = (text, action, yes = "Yes") => setReq({ text, action, yes });
  const dialog = (
    <Confirm open={!!req} text={req?.text} yes={req?.yes} busy={busy}
             onNo={() => setReq(null)}
             onYes={async () => { setBusy(true); try { await req.action(); } finally { setBusy(false); setReq(null); } }} />
  );
  return [ask, dialog];
}

/** Server-side paging: shows "Next page" while the API gives a next cursor. */
export function Pager({ cursor, onNext, onFirst, page }) {
  return (
    <nav class="pager" aria-label="pages">
      <button type="button" onClick={onFirst} disabled={page === 1}>First page</button>
      <span>Page {page}</span>
      <button type="button" onClick={onNext} disabled={!cursor}>Next page</button>
    </nav>
  );
}

/** A page's heading with its actions on the right. */
export function Header({ title, children }) {
  return (
    <header class="page-header">
      <h1>{title}</h1>
      <div class="actions">{children}</div>
    </header>
  );
}

/** The event stream for `names` while the page is shown; returns its state text ("live", …).
 *  `onEvent` may change between renders (the latest one is called). */
export function useEvents(names, onEvent) {
  const [stream, setStream] = useState("connecting");
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => openEvents({ subscribe: names, onState: setStream, onEvent: (e) => handler.current(e) }), []);
  return stream;
}

/** An edit form's resource: reads it (body and ETag, for If-Match), shows loading and errors
 *  (with Close), then `render(body, etag)`. */
export function EditLoader({ path, what, onCancel, render }) {
  const one = useLoad(async () => {
    const r = await api("GET", path);
    return { body: r.data, etag: r.headers.get("ETag") };
  }, [path]);
  if (one.error) return <div class="card"><ErrorBox error={one.error} retry={one.reload} />
    <button type="button" onClick={onCancel}>Close</button></div>;
  if (!one.data) return <Loading what={what} />;
  return render(one.data.body, one.data.etag);
}

/** A table's column headers: <Columns names={["Kind", "Added"]} /> (plain-text headers only). */
export function Columns({ names }) {
  return <thead><tr>{names.map((n) => <th key={n} scope="col">{n}</th>)}</tr></thead>;
}
