// configuration.jsx: the provisioned configuration as one document — download it (GET /config,
// saved as switchboard-config.json), upload one (a file or pasted text) with a dry run first
// (PUT /config?dry_run=true: what changes and its impact class, or every problem by its JSON
// Pointer) and then "Apply" (the same PUT for real, tied to the revision the dry run saw with
// if_revision and If-Match), and the kept revisions (GET /config/revisions) with a preview
// (dry run) and a restore (POST /config/revisions/{revision}/restore) of each.
import { useEffect, useState } from "preact/hooks";
import { api, get, openEvents, query } from "../api.js";
import { when } from "../format.js";
import { Columns, ActionButton, Empty, ErrorBox, Header, Loading, Notice, roleReason, useAction, useAllowed, useConfirm, useLoad } from "../ui.jsx";
import { saveText } from "./calls.jsx";

const KINDS = ["subscribers", "accounts", "dialplan", "ports", "port_groups"];
const KIND_LABEL = { subscribers: "Subscribers", accounts: "Accounts (trunks)", dialplan: "Dialplan rules",
                     ports: "Ports", port_groups: "Port groups", cause_map: "Cause map" };
const IMPACTS = ["none", "live", "reregister", "restart"];
const IMPACT_TEXT = {
  none: "nothing behaves differently",
  live: "used from the next call or request on, without a restart",
  reregister: "the changed accounts register again",
  restart: "needs a daemon restart: not applied until then",
};
const IMPACT_CLASS = { none: "other", live: "up", reregister: "reregister", restart: "down" };

// ---- helpers ---------------------------------------------------------------------------------

/** The value at a JSON Pointer (RFC 6901) in `doc`; {found:false} when it is not there. */
function atPointer(doc, pointer) {
  if (pointer === "" || pointer === "/") return { found: true, value: doc };
  if (typeof pointer !== "string" || pointer[0] !== "/") return { found: false };
  let v = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (v === null || typeof v !== "object" || !(key in v)) return { found: false };
    v = v[key];
  }
  return { found: true, value: v };
}

/** "/accounts/2/address" → "accounts › item 3 › address". */
function pointerText(pointer) {
  if (!pointer || pointer === "/") return "the document";
  return pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? `item ${Number(p) + 1}` : p)).join(" › ");
}

/** A short text of a value for the report (at most a line). */
function short(v) {
  const s = JSON.stringify(v);
  if (s === undefined) return "";
  return s.length > 120 ? s.slice(0, 117) + "…" : s;
}

function worstImpact(report) {
  let worst = -1;
  for (const i of report.impact || []) worst = Math.max(worst, IMPACTS.indexOf(i.impact));
  return worst < 0 ? null : IMPACTS[worst];
}

function countChanges(report) {
  let n = 0;
  for (const k of KINDS) {
    const c = report.changes?.[k];
    if (c) n += (c.added?.length || 0) + (c.changed?.length || 0) + (c.removed?.length || 0);
  }
  return n;
}

/** Parses the document text; {doc} or {error} (the parser's words). */
function parseDoc(text) {
  if (!text.trim()) return { error: "Give a configuration document: choose a file or paste it." };
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { error: "The document is not valid JSON: " + e.message };
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    return { error: "The document must be a JSON object (as the download gives it)." };
  return { doc };
}

// ---- the report ------------------------------------------------------------------------------

function KeyList({ keys }) {
  if (!keys || !keys.length) return <span class="muted">–</span>;
  return <ul class="keys">{keys.map((k, i) => <li key={i}><code>{k}</code></li>)}</ul>;
}

function Report({ report, title, id }) {
  const worst = worstImpact(report);
  const n = countChanges(report);
  return (
    <div class="card report" data-testid="config-report" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {n === 0 && !(report.impact || []).length ? (
        <p>No change: the document is the running configuration.</p>
      ) : (
        <>
          <p>
            {n} change{n === 1 ? "" : "s"}. Impact class:{" "}
            {worst ? <><span class={"badge " + IMPACT_CLASS[worst]}>{worst}</span> ({IMPACT_TEXT[worst]})</> : "none"}
          </p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={`What changes, per kind: ${title}`}>
            <table>
              <caption class="sr-only">What changes, per kind</caption>
              <Columns names={["Kind", "Added", "Changed", "Removed"]} />
              <tbody>
                {KINDS.map((k) => {
                  const c = report.changes?.[k] || {};
                  return (
                    <tr key={k}>
                      <th scope="row">{KIND_LABEL[k]}</th>
                      <td><KeyList keys={c.added} /></td>
                      <td><KeyList keys={c.changed} /></td>
                      <td><KeyList keys={c.removed} /></td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {(report.impact || []).length > 0 && (
            <>
              <h4>Impact of each change</h4>
              <div class="table-wrap" tabIndex={0} role="region" aria-label={`Impact of each change: ${title}`}>
                <table>
                  <caption class="sr-only">Impact of each change</caption>
                  <Columns names={["Kind", "Key", "Change", "Impact", "Detail"]} />
                  <tbody>
                    {report.impact.map((i, idx) => (
                      <tr key={idx}>
                        <td>{KIND_LABEL[i.kind] || i.kind}</td>
                        <td><code>{i.key}</code></td>
                        <td>{i.change}</td>
                        <td><span class={"badge " + (IMPACT_CLASS[i.impact] || "other")} title={IMPACT_TEXT[i.impact] || ""}>{i.impact}</span>
                          {i.applied === false ? <small class="muted"> not applied</small> : null}</td>
                        <td>{i.detail || IMPACT_TEXT[i.impact] || ""}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      )}
      {Array.isArray(report.not_applied) && report.not_applied.length > 0 && (
        <div class="error" role="alert">
          Committed but not in use until a restart (see the log):
          <ul>{report.not_applied.map((x, i) => <li key={i}><strong>{x.kind}</strong>: {x.detail}</li>)}</ul>
        </div>
      )}
    </div>
  );
}

/** A 422's problems, each located by its JSON Pointer in the uploaded document. */
function Problems({ error, doc }) {
  if (!error || !error.errors?.length) return <ErrorBox error={error} />;
  return (
    <div class="error" role="alert" data-testid="config-problems">
      <strong>{String(error.message || "").split(": /")[0]}</strong>{error.status ? ` (HTTP ${error.status})` : ""}
      <ul class="problems">
        {error.errors.map((e, i) => {
          const where = e.pointer ?? (e.parameter ? null : "");
          let at = where !== null && doc ? atPointer(doc, where) : { found: false };
          if (!at.found && doc && typeof where === "string" && where.startsWith("/document"))
            at = atPointer(doc, where.slice("/document".length));
          return (
            <li key={i}>
              {where !== null ? <><code>{where || "/"}</code> ({pointerText(where)})</> : <>parameter <code>{e.parameter}</code></>}
              : {e.detail}
              {at.found && where ? <><br /><small>it is: <code>{short(at.value)}</code></small></> : null}
              {!at.found && where ? <><br /><small>(not in the document: a missing member)</small></> : null}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

// ---- upload, dry run, apply ------------------------------------------------------------------

function Upload({ onApplied, changedTick }) {
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState("");
  const [localError, setLocalError] = useState(null);
  const [checked, setChecked] = useState(null);  // {text, doc, report, etag}
  const [applied, setApplied] = useState(null);
  const [problemDoc, setProblemDoc] = useState(null);
  const dry = useAction();
  const apply = useAction();
  const [ask, dialog] = useConfirm();
  // Only an admin may check or apply a document: for anyone else the inputs are disabled too,
  // with the reason, as the buttons are.
  const mayUpload = useAllowed("admin");
  const notAllowed = mayUpload ? {} : { disabled: true, title: roleReason("admin") };

  // The configuration changed meanwhile (another write): the dry run is stale.
  useEffect(() => {
    if (changedTick && checked && !apply.busy) setChecked((c) => (c ? { ...c, stale: true } : c));
  }, [changedTick]);

  async function readFile(e) {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    if (!f) return;
    setFileName(f.name);
    setLocalError(null);
    try {
      setText(await f.text());
      setChecked(null);
    } catch (err) {
      setLocalError(`Cannot read ${f.name}: ${err.message}`);
    }
  }

  async function dryRun() {
    setApplied(null);
    apply.setError(null);
    const p = parseDoc(text);
    if (p.error) { setLocalError(p.error); setChecked(null); return; }
    setLocalError(null);
    setProblemDoc(p.doc);
    setChecked(null);
    const r = await dry.run(() => api("PUT", "/config" + query({ dry_run: "true" }), p.doc, { headers: { "If-Match": "*" } }),
      (res) => `Dry run done against revision ${res.data?.revision}: nothing has changed yet. Check the report, then apply.`);
    if (r) setChecked({ text, doc: p.doc, report: r.data, etag: r.headers.get("ETag") });
  }

  function doApply() {
    if (!checked) return;
    const rep = checked.report;
    const worst = worstImpact(rep);
    ask(`Replace the configuration (now revision ${rep.revision}) with this document? ${countChanges(rep)} change(s)` +
        (worst ? `, impact class ${worst}: ${IMPACT_TEXT[worst]}.` : "."),
    async () => {
      const r = await apply.run(() => api("PUT", "/config" + query({ if_revision: rep.revision }), checked.doc,
                                          { headers: { "If-Match": checked.etag || "*" } }),
        (res) => `Applied: the configuration is now revision ${res.data?.revision}.`);
      if (r) {
        setApplied(r.data);
        setChecked(null);
        onApplied();
      } else setChecked(null);  // refused (412: changed meanwhile …): run the dry run again
    }, "Apply");
  }

  const fresh = checked && checked.text === text && !checked.stale;
  return (
    <form class="card upload-card" onSubmit={(e) => { e.preventDefault(); dryRun(); }} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a document</h2>
      <p class="muted">The document replaces the whole configuration. A dry run shows what it changes first; nothing
        changes until you apply it.</p>
      <div class="field">
        <label for="f-config-file">Configuration file (JSON)</label>
        <input id="f-config-file" type="file" accept="application/json,.json" onChange={readFile} {...notAllowed} />
        {fileName && <small>Read from {fileName}: edit it below if needed.</small>}
      </div>
      <div class="field">
        <label for="f-config-text">Configuration document (JSON)</label>
        <textarea id="f-config-text" rows={14} spellcheck={false} value={text} {...notAllowed}
                  placeholder='{"schema_version": 1, "subscribers": [], "accounts": [], …}'
                  onInput={(e) => { setText(e.currentTarget.value); setLocalError(null); }} />
      </div>
      {localError && <p class="error" role="alert">{localError}</p>}
      <div class="buttons">
        <ActionButton need="admin" busy={dry.busy} onClick={dryRun}
                      {...(text.trim() ? {} : { disabled: true })}
                      title={text.trim() ? "Checks the document and reports what it would change" : "Give a document first"}>
          Dry run (check, change nothing)
        </ActionButton>
        <ActionButton need="admin" class="primary" busy={apply.busy} onClick={doApply}
                      {...(fresh ? {} : { disabled: true })}
                      title={fresh ? "Replaces the configuration with this document"
                        : checked && checked.stale ? "The configuration changed since the dry run: run it again"
                        : checked ? "The text changed since the dry run: run it again" : "Run the dry run first"}>
          Apply
        </ActionButton>
      </div>
      {checked && !fresh && (
        <p class="notice warn" role="status">
          {checked.stale ? "The configuration changed since this dry run: run it again before applying."
                         : "The text changed since this dry run: run it again before applying."}
        </p>
      )}
      <Problems error={dry.error} doc={problemDoc} />
      <Problems error={apply.error} doc={checked?.doc || problemDoc} />
      {apply.error?.status === 412 && <p class="muted">Run the dry run again to see the changes against the configuration as it is now.</p>}
      <Notice text={apply.notice || dry.notice} />
      {applied ? <Report id="upload-report-title" report={applied} title={`Applied: now revision ${applied.revision}`} />
        : checked ? <Report id="upload-report-title" report={checked.report} title={`Dry run against revision ${checked.report.revision}: what would change`} /> : null}
      {dialog}
    </form>
  );
}

// ---- revisions -------------------------------------------------------------------------------

function Revisions({ revisions, onRestored }) {
  const act = useAction();
  const [ask, dialog] = useConfirm();
  const [report, setReport] = useState(null);  // {rev, data}
  const [working, setWorking] = useState(null);  // "preview:7", "restore:7", "download:7"
  const data = revisions.data;
  const current = data?.current;

  const restoreCall = (rev, dryRun) => api("POST", `/config/revisions/${encodeURIComponent(rev)}/restore`,
    { if_revision: current, dry_run: dryRun }, { headers: { "If-Match": "*" } });

  async function preview(rev) {
    setWorking("preview:" + rev);
    setReport(null);
    const r = await act.run(() => restoreCall(rev, true), `Preview of restoring revision ${rev}: nothing has changed.`);
    setWorking(null);
    if (r) setReport({ rev, data: r.data });
  }

  function restore(rev) {
    ask(`Restore revision ${rev}? Its document replaces the configuration (now revision ${current}) as a new revision.`,
      async () => {
        setWorking("restore:" + rev);
        setReport(null);
        const r = await act.run(() => restoreCall(rev, false),
          (res) => `Revision ${rev} restored: the configuration is now revision ${res.data?.revision}.`);
        setWorking(null);
        if (r) setReport({ rev, data: r.data });
        onRestored();
      }, "Restore");
  }

  async function download(rev) {
    setWorking("download:" + rev);
    await act.run(async () => {
      const d = await get(`/config/revisions/${encodeURIComponent(rev)}`);
      saveText(JSON.stringify(d, null, 2) + "\n", `switchboard-config-r${rev}.json`, "application/json");
    }, `Saved revision ${rev} as switchboard-config-r${rev}.json.`);
    setWorking(null);
  }

  const rows = data?.Revisions || [];
  return (
    <>
      <ErrorBox error={revisions.error} retry={revisions.reload} />
      <ErrorBox error={act.error} />
      <Notice text={act.notice} />
      {revisions.loading && !data ? <Loading what="the revisions" /> : data && rows.length === 0 ? (
        <Empty>No revision kept yet: every change of the configuration makes one.</Empty>
      ) : data && (
        <>
          <p class="muted">The configuration is at revision <strong>{current}</strong>.</p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Kept revisions">
            <table data-testid="revisions-table">
              <caption class="sr-only">Kept configuration revisions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col" class="num">Revision</th>
                  <th scope="col">Made</th>
                  <th scope="col">By</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => {
                  const isCurrent = r.revision === current;
                  return (
                    <tr key={r.revision} data-revision={r.revision}>
                      <td class="num">{r.revision}{isCurrent ? <> <span class="badge up">current</span></> : null}</td>
                      <td>{when(r.created)}</td>
                      <td><code>{r.source}</code></td>
                      <td>
                        <div class="buttons">
                          <ActionButton need="admin" busy={working === "download:" + r.revision}
                                        aria-label={`Download revision ${r.revision}`} onClick={() => download(r.revision)}>Download</ActionButton>
                          <ActionButton need="admin" busy={working === "preview:" + r.revision}
                                        {...(isCurrent ? { disabled: true } : {})}
                                        title={isCurrent ? "This is the configuration now" : "Dry run: what restoring it would change"}
                                        aria-label={`Preview restoring revision ${r.revision}`} onClick={() => preview(r.revision)}>Preview</ActionButton>
                          <ActionButton need="admin" class="danger" busy={working === "restore:" + r.revision}
                                        {...(isCurrent ? { disabled: true } : {})}
                                        title={isCurrent ? "This is the configuration now" : `Go back to revision ${r.revision} (as a new revision)`}
                                        aria-label={`Restore revision ${r.revision}`} onClick={() => restore(r.revision)}>Restore</ActionButton>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
      {report && (
        <Report id="restore-report-title" report={report.data}
                title={report.data.dry_run ? `Restoring revision ${report.rev} would change`
                                           : `Revision ${report.rev} restored: now revision ${report.data.revision}`} />
      )}
      {dialog}
    </>
  );
}

// ---- the page --------------------------------------------------------------------------------

export default function Configuration() {
  const revisions = useLoad(() => get("/config/revisions"), []);
  const download = useAction();
  const [changedTick, setChangedTick] = useState(0);

  // Another client (or this one) changed the configuration: the list follows.
  useEffect(() => openEvents({
    subscribe: ["E_CONFIG_CHANGED"],
    onEvent: () => { setChangedTick((t) => t + 1); revisions.reload(); },
  }), []);

  async function save() {
    await download.run(async () => {
      const { data } = await api("GET", "/config");
      saveText(JSON.stringify(data, null, 2) + "\n", "switchboard-config.json", "application/json");
      return data;
    }, (d) => `Saved revision ${d?.revision} as switchboard-config.json (it holds secrets: keep it safe).`);
  }

  return (
    <section>
      <Header title="Configuration">
        <ActionButton need="admin" busy={download.busy} onClick={save}
                      title="The whole configuration as one JSON document (secrets included)">Download the configuration</ActionButton>
      </Header>
      <ErrorBox error={download.error} />
      <Notice text={download.notice} />
      <Upload onApplied={revisions.reload} changedTick={changedTick} />
      <h2>Revisions</h2>
      <Revisions revisions={revisions} onRestored={revisions.reload} />
    </section>
  );
}
