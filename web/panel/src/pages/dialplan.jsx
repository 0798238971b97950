// dialplan.jsx: the dialplan — a test-a-number box (POST /dialplan/test: which rule a call
// would match, the rewritten numbers and the target; 404 = no rule matches), the rules in
// evaluation order (GET /dialplan/rules; first match wins) with move up/down
// (PATCH /dialplan/rules/{id} {position}), add (POST /dialplan/rules), edit (GET the rule for
// its ETag, then PATCH with If-Match and only the changed fields), delete with confirmation,
// and "Reload" (POST /dialplan/reload: re-read the rules from the database). The API's
// per-field messages (errors[].pointer: /src, /target, /dest_match, /options…) show next to
// their fields.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get } from "../api.js";
import { ActionButton, EditLoader, Empty, ErrorBox, Field, Header, Loading, Notice, roleReason, useAction, useAllowed,
         useConfirm, useLoad } from "../ui.jsx";

const rulePath = (id) => "/dialplan/rules/" + encodeURIComponent(id);
const kindId = (kind, id) => (id ? `${kind}:${id}` : kind);

/** "12" → 12; anything else stays text so the API names the field in its answer. */
function int(text) {
  const t = String(text).trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/** JSON with the object keys sorted: equal values give equal text. */
function canon(v) {
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  if (v && typeof v === "object") return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  return JSON.stringify(v ?? null);
}

/** A rule's options in a few words. */
function optionsText(o = {}) {
  const parts = [];
  if (o.enabled === false) parts.push("disabled");
  if (o.failover_causes?.length) parts.push("failover on " + o.failover_causes.join(", "));
  if (o.timeout_s) parts.push(`timeout ${o.timeout_s} s`);
  if (o.clir) parts.push("CLIR");
  return parts.join("; ");
}

/** A regex and its rewrite as one cell: "^0(.*)$ → 49\1", "any" when both are empty. */
function MatchRewrite({ match, rewrite }) {
  if (!match && !rewrite) return <span class="muted">any</span>;
  return (
    <>
      <code>{match || "(any)"}</code>
      {rewrite ? <> → <code>{rewrite}</code></> : <span class="muted"> (unchanged)</span>}
    </>
  );
}

const EMPTY = { src: "any", dest_match: "", dest_rewrite: "", target: "", src_match: "", src_rewrite: "",
                failover_causes: "", timeout_s: "", clir: false, enabled: true, position: "", comment: "" };

function valuesOf(r) {
  const o = r.options || {};
  return { src: kindId(r.src_kind, r.src_id), dest_match: r.dest_match, dest_rewrite: r.dest_rewrite,
           target: kindId(r.target_kind, r.target_id), src_match: r.src_match, src_rewrite: r.src_rewrite,
           failover_causes: (o.failover_causes || []).join(", "), timeout_s: o.timeout_s ? String(o.timeout_s) : "",
           clir: !!o.clir, enabled: o.enabled !== false, position: String(r.position), comment: r.comment };
}

/** The request body from the form; `base` (the rule being edited) keeps options it had. */
function bodyOf(v, base) {
  const had = base?.options || {};
  const options = { ...had };
  delete options.failover_causes;
  delete options.timeout_s;
  delete options.clir;
  delete options.enabled;
  const causes = v.failover_causes.split(/[\s,;]+/).filter(Boolean).map(int);
  if (causes.length) options.failover_causes = causes;
  if (v.timeout_s.trim()) options.timeout_s = int(v.timeout_s);
  if (v.clir || had.clir !== undefined) options.clir = v.clir;
  if (!v.enabled || had.enabled !== undefined) options.enabled = v.enabled;
  return { src: v.src.trim(), dest_match: v.dest_match, dest_rewrite: v.dest_rewrite, target: v.target.trim(),
           src_match: v.src_match, src_rewrite: v.src_rewrite, options, comment: v.comment };
}

/** Add (no `rule`) or edit (`rule` + its `etag`) a rule. `onDone(notice)` once saved. */
function RuleForm({ rule, etag, count, onDone, onCancel }) {
  const editing = !!rule;
  const [v, setV] = useState(editing ? valuesOf(rule) : EMPTY);
  const act = useAction();
  const allowed = useAllowed("operator");
  const heading = useRef(null);
  useEffect(() => { heading.current?.focus(); }, []);
  const err = act.error;
  const pre = editing ? "edit-" : "add-";
  const fe = (k) => err?.field?.(k);
  const bind = (k) => ({ value: v[k], error: fe(k), onInput: (e) => setV((o) => ({ ...o, [k]: e.currentTarget.value })) });
  const check = (k, label) => (
    <div class="field check">
      <label><input type="checkbox" name={pre + k} checked={v[k]}
                    onChange={(e) => setV((o) => ({ ...o, [k]: e.currentTarget.checked }))} /> {label}</label>
    </div>
  );

  async function submit(e) {
    e.preventDefault();
    const body = bodyOf(v, rule);
    if (editing) {
      const before = bodyOf(valuesOf(rule), rule);
      const changes = {};
      for (const [k, val] of Object.entries(body)) if (canon(val) !== canon(before[k])) changes[k] = val;
      if (Object.keys(changes).length === 0) { onDone(`Nothing changed on rule id ${rule.id}`); return; }
      const r = await act.run(() => api("PATCH", rulePath(rule.id), changes, { headers: { "If-Match": etag || "*" } }));
      if (r) onDone(`Rule id ${rule.id} saved (position ${r.data?.position ?? rule.position})`);
    } else {
      if (v.position.trim()) body.position = int(v.position);
      const r = await act.run(() => api("POST", "/dialplan/rules", body));
      if (r) onDone(`Rule added at position ${r.data?.position} (id ${r.data?.id})`);
    }
  }

  const title = editing ? `Edit rule id ${rule.id} (position ${rule.position})` : "Add a rule";
  return (
    <form class="card edit-form" onSubmit={submit} noValidate aria-labelledby={pre + "title"} data-testid={pre + "rule-form"}>
      <h2 id={pre + "title"} tabIndex={-1} ref={heading}>{title}</h2>
      <fieldset disabled={!allowed || act.busy} title={allowed ? undefined : roleReason("operator")}>
        <legend class="sr-only">{title}</legend>
        <div class="form-grid">
          <Field label="Source" name={pre + "src"} required {...bind("src")} autocomplete="off"
                 hint="any | account[:NAME] | subscriber[:USER[@DOMAIN]] | group[:NAME] | port[:N]" />
          <Field label="Called number match" name={pre + "dest_match"} {...bind("dest_match")} autocomplete="off"
                 placeholder="^0(\d+)$" hint="ECMAScript regex; empty = any number" />
          <Field label="Called number rewrite" name={pre + "dest_rewrite"} {...bind("dest_rewrite")} autocomplete="off"
                 placeholder="49\1" hint="\0..\9 = groups of the match; empty = unchanged" />
          <Field label="Target" name={pre + "target"} required {...bind("target")} autocomplete="off"
                 placeholder="account:NAME" hint="account:NAME | user:ID | group:NAME; ${dest} = the rewritten number" />
          <Field label="Caller number match" name={pre + "src_match"} {...bind("src_match")} autocomplete="off"
                 hint="regex; empty = any caller" />
          <Field label="Caller number rewrite" name={pre + "src_rewrite"} {...bind("src_rewrite")} autocomplete="off"
                 hint="\0..\9 = groups of the match; empty = unchanged" />
          {!editing && (
            <Field label="Position" name={pre + "position"} type="number" min="1" max={String(count + 1)}
                   {...bind("position")} hint={`1..${count + 1}; empty = last`} />
          )}
          <Field label="Comment" name={pre + "comment"} {...bind("comment")} />
        </div>
        <fieldset class={"options" + (fe("options") ? " invalid" : "")}>
          <legend>Options</legend>
          {fe("options") && <p class="field-error" id={pre + "options-err"}>{fe("options")}</p>}
          <div class="form-grid">
            <Field label="Failover causes" name={pre + "failover_causes"} value={v.failover_causes}
                   onInput={(e) => setV((o) => ({ ...o, failover_causes: e.currentTarget.value }))}
                   placeholder="503, 408" hint="SIP codes 300..699 that try the next rule"
                   aria-describedby={fe("options") ? pre + "options-err" : undefined} />
            <Field label="Timeout (s)" name={pre + "timeout_s"} type="number" min="1" max="600" value={v.timeout_s}
                   onInput={(e) => setV((o) => ({ ...o, timeout_s: e.currentTarget.value }))} hint="1..600; empty = none"
                   aria-describedby={fe("options") ? pre + "options-err" : undefined} />
            {check("clir", "Hide the caller number (CLIR)")}
            {check("enabled", "Rule enabled")}
          </div>
        </fieldset>
      </fieldset>
      <ErrorBox error={err} />
      <div class="buttons">
        <ActionButton type="submit" class="primary" busy={act.busy} disabled={!v.src.trim() || !v.target.trim()}>
          {editing ? "Save rule" : "Add rule"}</ActionButton>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

/** Reads one rule (for its ETag and current fields), then shows the edit form. */
function EditRule({ id, onDone, onCancel }) {
  return <EditLoader path={rulePath(id)} what={`rule id ${id}`} onCancel={onCancel}
                     render={(rule, etag) => <RuleForm rule={rule} etag={etag} onDone={onDone} onCancel={onCancel} />} />;
}

/** The test-a-number box: read-only (dp_translate changes nothing). */
function TestBox({ rules, onMatch }) {
  const [v, setV] = useState({ number: "", caller: "", source: "any" });
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);  // {asked, match} | {asked, none: detail}
  const [error, setError] = useState(null);
  const fe = (k) => error?.field?.(k);
  const bind = (k) => ({ value: v[k], error: fe(k), onInput: (e) => setV((o) => ({ ...o, [k]: e.currentTarget.value })) });
  // The rules were read again (changed here or reloaded): the answer may no longer hold.
  useEffect(() => {
    setResult((r) => (r ? { ...r, stale: true } : r));
    onMatch(null);
  }, [rules]);

  async function submit(e) {
    e.preventDefault();
    const asked = { number: v.number.trim(), caller: v.caller.trim(), source: v.source.trim() || "any" };
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const { data } = await api("POST", "/dialplan/test", asked);
      setResult({ asked, match: data });
      onMatch(data.rule_id);
    } catch (err) {
      if (err.status === 404) {
        setResult({ asked, none: true });
        onMatch(null);
      } else {
        setError(err);
        onMatch(null);
      }
    } finally {
      setBusy(false);
    }
  }

  const m = result?.match;
  return (
    <form class="card test-box" onSubmit={submit} aria-labelledby="dp-test-title" data-testid="dp-test">
      <h2 id="dp-test-title">Test a number</h2>
      <p class="muted">Which rule would a call match, and where would it go? Nothing is changed or dialled.</p>
      <div class="form-grid">
        <Field label="Called number" name="test-number" required {...bind("number")} autocomplete="off"
               inputMode="tel" placeholder="004930123456" />
        <Field label="Caller number" name="test-caller" {...bind("caller")} autocomplete="off" inputMode="tel"
               hint="optional" />
        <Field label="Source" name="test-source" {...bind("source")} autocomplete="off"
               hint="any | account:NAME | subscriber:USER[@DOMAIN] | port:N | group:NAME" />
      </div>
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy || !v.number.trim()} aria-busy={busy ? "true" : undefined}>
          {busy ? "Testing…" : "Test number"}</button>
      </div>
      <ErrorBox error={error} />
      {result && (
        <div class={"test-result " + (m ? "match" : "nomatch") + (result.stale ? " stale" : "")} data-testid="dp-test-result"
             role="status">
          {result.stale && <p class="muted">The rules have been read again since this test: test again to be sure.</p>}
          {m ? (
            <>
              <p><strong>Matched rule at position {m.position}</strong> (id {m.rule_id}).</p>
              <dl>
                <dt>Called number</dt>
                <dd><code>{result.asked.number}</code> → <code data-testid="dp-test-called">{m.called}</code></dd>
                <dt>Caller number</dt>
                <dd>{result.asked.caller ? <code>{result.asked.caller}</code> : <span class="muted">(none)</span>} →{" "}
                  {m.caller ? <code data-testid="dp-test-caller">{m.caller}</code> : <span class="muted">(none)</span>}</dd>
                <dt>Target</dt>
                <dd><code data-testid="dp-test-target">{kindId(m.target_kind, m.target_id)}</code></dd>
                {optionsText(m.options) && <><dt>Options</dt><dd>{optionsText(m.options)}</dd></>}
              </dl>
            </>
          ) : (
            <p><strong>No rule matches</strong> <code>{result.asked.number}</code>
              {result.asked.caller ? <> from caller <code>{result.asked.caller}</code></> : ""} (source{" "}
              <code>{result.asked.source}</code>).</p>
          )}
        </div>
      )}
    </form>
  );
}

export default function Dialplan() {
  const list = useLoad(() => get("/dialplan/rules").then((d) => d.Rules || []), []);
  const [form, setForm] = useState(null);  // null | {mode: "add"} | {mode: "edit", id}
  const [note, setNote] = useState("");
  const [matched, setMatched] = useState(null);
  const act = useAction();
  const [pending, setPending] = useState("");
  const [ask, dialog] = useConfirm();
  const rules = list.data ? [...list.data].sort((a, b) => a.position - b.position) : [];

  async function change(key, fn, done) {
    setNote("");
    setPending(key);
    const r = await act.run(fn, done);
    setPending("");
    if (r) list.reload();
    return r;
  }

  const move = (r, to, way) => change(`move:${r.id}:${way}`,
    () => api("PATCH", rulePath(r.id), { position: to }, { headers: { "If-Match": "*" } }),
    (res) => `Rule id ${r.id} moved to position ${res.data?.position ?? to}`);

  const reload = () => change("reload", () => api("POST", "/dialplan/reload"), "Dialplan reloaded from the database");

  function remove(r) {
    setNote("");
    ask(`Delete the rule at position ${r.position} (id ${r.id}, ${kindId(r.src_kind, r.src_id)} → ${kindId(r.target_kind, r.target_id)})? The rules after it move up.`,
        async () => {
          const ok = await change(`del:${r.id}`, () => api("DELETE", rulePath(r.id), undefined, { headers: { "If-Match": "*" } }),
                                  `Rule id ${r.id} deleted`);
          if (ok && form?.id === r.id) setForm(null);
        }, "Delete");
  }

  function done(message) {
    setForm(null);
    setNote(message);
    list.reload();
  }

  return (
    <section>
      <Header title="Dialplan">
        <ActionButton onClick={reload} busy={pending === "reload"} disabled={act.busy}
             title="re-read the rules from the database (a bad rule set is refused and the active one kept)">
          Reload from the database</ActionButton>
        <ActionButton class="primary" onClick={() => { setNote(""); setForm({ mode: "add" }); }} disabled={form?.mode === "add"}>
          Add a rule</ActionButton>
      </Header>
      <TestBox rules={list.data} onMatch={setMatched} />
      {form?.mode === "add" && <RuleForm count={rules.length} onDone={done} onCancel={() => setForm(null)} />}
      {form?.mode === "edit" && <EditRule key={form.id} id={form.id} onDone={done} onCancel={() => setForm(null)} />}
      <h2>Rules <span class="muted">(in evaluation order: the first match wins)</span></h2>
      <Notice text={note || act.notice} />
      <ErrorBox error={act.error} />
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data ? <Loading what="the rules" /> : list.data && rules.length === 0 ? (
        <Empty>No rule yet: calls match nothing until you add one.</Empty>
      ) : list.data && (
        <div class="table-wrap">
          <table class="wide" data-testid="rules-table">
            <caption class="sr-only">Dialplan rules in evaluation order</caption>
            <thead><tr>
              <th scope="col" class="num">#</th><th scope="col">Source</th><th scope="col">Called number</th>
              <th scope="col">Caller number</th><th scope="col">Target</th><th scope="col">Options</th>
              <th scope="col">Comment</th><th scope="col"><span class="sr-only">Actions</span></th>
            </tr></thead>
            <tbody>
              {rules.map((r, i) => {
                const label = `rule ${r.position} (id ${r.id})`;
                const off = r.options?.enabled === false;
                return (
                  <tr key={r.id} data-rule-id={r.id} class={(matched === r.id ? "matched" : "") + (off ? " off" : "")}
                      aria-current={matched === r.id ? "true" : undefined}>
                    <td class="num">{r.position}</td>
                    <td><code>{kindId(r.src_kind, r.src_id)}</code></td>
                    <td><MatchRewrite match={r.dest_match} rewrite={r.dest_rewrite} /></td>
                    <td><MatchRewrite match={r.src_match} rewrite={r.src_rewrite} /></td>
                    <td><code>{kindId(r.target_kind, r.target_id)}</code></td>
                    <td>{matched === r.id && <span class="badge up">test match</span>}
                      {off && <span class="badge other">disabled</span>}{optionsText({ ...r.options, enabled: true })}</td>
                    <td>{r.comment}</td>
                    <td><div class="buttons">
                      <ActionButton aria-label={`Move ${label} up`} busy={pending === `move:${r.id}:up`}
                           disabled={act.busy || i === 0} onClick={() => move(r, r.position - 1, "up")}>↑ Up</ActionButton>
                      <ActionButton aria-label={`Move ${label} down`} busy={pending === `move:${r.id}:down`}
                           disabled={act.busy || i === rules.length - 1} onClick={() => move(r, r.position + 1, "down")}>↓ Down</ActionButton>
                      <ActionButton aria-label={`Edit ${label}`} disabled={act.busy}
                           onClick={() => { setNote(""); setForm({ mode: "edit", id: r.id }); }}>Edit</ActionButton>
                      <ActionButton class="danger" aria-label={`Delete ${label}`} busy={pending === `del:${r.id}`}
                           disabled={act.busy} onClick={() => remove(r)}>Delete</ActionButton>
                    </div></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {dialog}
    </section>
  );
}
