// console.jsx: the MI console — the command catalogue (GET /commands: name, module, summary,
// flags, params as a JSON Schema), a form generated from the chosen command's params, and
// "Run" (POST /mi/{command}) showing the reply as a tree and as raw JSON. What the session's
// role may not run is shown disabled with the reason (read_only runs read_only-flagged
// commands; operator all but admin-flagged ones; admin all). An unknown command is explained:
// which module provides a name the catalogue knows, else the closest names.
import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import { api, get } from "../api.js";
import { Columns, ActionButton, Empty, ErrorBox, Field, Header, Loading, Notice, Session, roleReason, useAction, useLoad } from "../ui.jsx";

const RANK = { read_only: 0, operator: 1, admin: 2 };
const TREE_CHILDREN = 200;  // children shown per tree node before "Show all"

// ---- commands and roles ----------------------------------------------------------------------

/** The role a command needs: admin-flagged → admin; read_only-flagged → read_only; else operator. */
function needOf(cmd) {
  const f = (cmd && cmd.flags) || [];
  if (f.includes("admin")) return "admin";
  if (f.includes("read_only")) return "read_only";
  return "operator";
}

function needText(need) {
  return need === "admin" ? "admin" : need === "operator" ? "operator" : "any role";
}

const qualified = (c) => `${c.module}:${c.name}`;

function findCommand(commands, name) {
  return commands.find((c) => c.name === name || qualified(c) === name) || null;
}

/** Levenshtein distance (small strings: command names). */
function distance(a, b) {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The catalogue's names closest to `name`: near in spelling, or containing it. */
function closest(commands, name, n = 5) {
  const want = name.toLowerCase();
  const base = want.includes(":") ? want.slice(want.lastIndexOf(":") + 1) : want;
  const scored = commands.map((c) => {
    const cn = c.name.toLowerCase();
    let d = Math.min(distance(want, cn), distance(want, qualified(c).toLowerCase()), distance(base, cn));
    if (base.length >= 3 && cn.includes(base)) d = Math.min(d, 1.5);
    return { c, d };
  });
  const limit = Math.max(2, Math.ceil(base.length / 2));
  return scored.filter((x) => x.d <= limit).sort((x, y) => x.d - y.d || x.c.name.localeCompare(y.c.name))
    .slice(0, n).map((x) => x.c);
}

/** Whether an error is the dispatcher's "unknown command" (HTTP 404, JSON-RPC -32601). */
function isUnknownCommand(err) {
  if (!err) return false;
  const p = err.problem || {};
  return (typeof p.type === "string" && /:unknown-command$/.test(p.type)) || p.mi_code === -32601 ||
    (err.status === 404 && /command '.*' not available/.test(p.detail || err.message || ""));
}

// ---- the params form -------------------------------------------------------------------------

/** How a param's schema is edited: enum, string, integer, number, boolean, json (array/object) or any. */
function kindOf(s) {
  if (!s || typeof s !== "object") return "any";
  if (Array.isArray(s.enum)) return "enum";
  switch (s.type) {
    case "string": return "string";
    case "integer": return "integer";
    case "number": return "number";
    case "boolean": return "boolean";
    case "array": case "object": return "json";
    default: return "any";
  }
}

function typeText(s) {
  const k = kindOf(s);
  if (k === "enum") return "one of " + s.enum.join(", ");
  if (k === "any") return s && s.anyOf ? "any of several shapes (JSON)" : "any JSON value";
  let t = s.type;
  if (t === "integer" && s.minimum !== undefined && s.maximum !== undefined) t += ` ${s.minimum}..${s.maximum}`;
  else if (t === "integer" && s.minimum === 0) t = "integer ≥ 0";
  else if (s.minimum !== undefined) t += ` ≥ ${s.minimum}`;
  if (k === "json") t += " (JSON)";
  return t;
}

function paramsOf(cmd) {
  const sch = cmd && cmd.params && typeof cmd.params === "object" ? cmd.params : {};
  const props = sch.properties && typeof sch.properties === "object" ? sch.properties : {};
  const required = Array.isArray(sch.required) ? sch.required : [];
  return Object.entries(props).map(([name, s]) => ({ name, s: s || {}, required: required.includes(name) }));
}

/** The typed values as the params object; problems by param name. */
function buildParams(params, values) {
  const out = {};
  const problems = {};
  for (const { name, s, required } of params) {
    const raw = values[name];
    if (raw === undefined || raw === "") {
      if (required) problems[name] = "is required";
      continue;
    }
    const k = kindOf(s);
    if (k === "boolean") out[name] = raw === "true";
    else if (k === "integer") {
      const n = Number(raw);
      if (!Number.isInteger(n)) problems[name] = "must be a whole number";
      else out[name] = n;
    } else if (k === "number") {
      const n = Number(raw);
      if (!Number.isFinite(n)) problems[name] = "must be a number";
      else out[name] = n;
    } else if (k === "json" || k === "any") {
      try {
        const v = JSON.parse(raw);
        if (s.type === "array" && !Array.isArray(v)) problems[name] = "must be a JSON array ([…])";
        else if (s.type === "object" && (v === null || typeof v !== "object" || Array.isArray(v)))
          problems[name] = "must be a JSON object ({…})";
        else out[name] = v;
      } catch (e) {
        if (k === "any") out[name] = raw;  // not JSON: the text itself
        else problems[name] = "is not valid JSON: " + e.message;
      }
    } else out[name] = raw;
  }
  return { out, problems };
}

function ParamInput({ p, value, error, onValue }) {
  const { name, s, required } = p;
  const k = kindOf(s);
  const id = "p-" + name;
  const label = name + (required ? " (required)" : "");
  const hintParts = [typeText(s)];
  if (s.default !== undefined) hintParts.push("default " + JSON.stringify(s.default));
  if (s.description) hintParts.push(s.description);
  const hint = hintParts.join(" · ");
  const set = (e) => onValue(e.currentTarget.value);
  const common = { id: "f-" + id, name: id, "aria-invalid": error ? "true" : undefined,
                   "aria-describedby": error ? `f-${id}-err` : undefined };
  if (k === "enum" || k === "boolean") {
    const options = k === "enum" ? s.enum.map(String) : ["true", "false"];
    return (
      <Field label={label} name={id} error={error} hint={hint}>
        <select {...common} value={value ?? ""} onChange={set}>
          <option value="">{required ? "— choose —" : s.default !== undefined ? `— not given (${JSON.stringify(s.default)}) —` : "— not given —"}</option>
          {options.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      </Field>
    );
  }
  if (k === "json" || k === "any") {
    return (
      <Field label={label} name={id} error={error} hint={hint}>
        <textarea {...common} rows={k === "json" && s.type === "object" && s.properties ? 8 : 3} spellcheck={false}
                  placeholder={s.type === "array" ? "[ … ]" : s.type === "object" ? "{ … }" : "JSON"}
                  value={value ?? ""} onInput={set} />
      </Field>
    );
  }
  const input = k === "integer" ? { type: "number", step: "1", inputmode: "numeric", min: s.minimum, max: s.maximum }
    : k === "number" ? { type: "number", step: "any", min: s.minimum, max: s.maximum }
    : s.writeOnly ? { type: "password", autocomplete: "off" } : { type: "text", autocomplete: "off" };
  return <Field label={label} name={id} error={error} hint={hint} value={value ?? ""} onInput={set}
                placeholder={s.default !== undefined ? String(s.default) : ""} required={required} {...input} />;
}

// ---- the reply as a tree ---------------------------------------------------------------------

function short(v) {
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 60 ? s.slice(0, 57) + "…" : s;
}

function Leaf({ name, value }) {
  const type = value === null ? "null" : typeof value;
  const text = type === "string" ? JSON.stringify(value) : String(value);
  return (
    <span class="tree-leaf">
      {name !== undefined && <span class="tree-key">{String(name)}: </span>}
      <span class={"tree-" + type}>{text}</span>
    </span>
  );
}

function Branch({ name, value, depth }) {
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
  const [open, setOpen] = useState(depth < 2 && entries.length <= 100);
  const [all, setAll] = useState(false);
  const shown = all ? entries : entries.slice(0, TREE_CHILDREN);
  const size = isArray ? `[${entries.length}]` : `{${entries.length}}`;
  // A closed object shows its first plain member (its name, id …) so a list reads at a glance.
  const first = isArray ? null : entries.find(([, v]) => v === null || typeof v !== "object");
  const preview = first ? ` ${first[0]}: ${short(first[1])}` : "";
  if (entries.length === 0) {
    return (
      <span class="tree-leaf">
        {name !== undefined && <span class="tree-key">{String(name)}: </span>}
        <span class="muted">{isArray ? "[] (empty)" : "{} (empty)"}</span>
      </span>
    );
  }
  return (
    <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{name !== undefined && <span class="tree-key">{String(name)} </span>}<span class="muted">{size}{open ? "" : preview}</span></summary>
      {open && (
        <ul>
          {shown.map(([k, v]) => <li key={k}><Node name={k} value={v} depth={depth + 1} /></li>)}
          {shown.length < entries.length && (
            <li><button type="button" class="link" onClick={() => setAll(true)}>Show all {entries.length}</button></li>
          )}
        </ul>
      )}
    </details>
  );
}

function Node({ name, value, depth = 0 }) {
  return value !== null && typeof value === "object" ? <Branch name={name} value={value} depth={depth} />
                                                     : <Leaf name={name} value={value} />;
}

// ---- unknown command -------------------------------------------------------------------------

function UnknownCommand({ name, commands, onPick }) {
  const listed = findCommand(commands, name);
  if (listed) {
    return (
      <div class="error" role="alert">
        The daemon does not know <code>{name}</code> now, although the catalogue lists it as a command of
        module <strong>{listed.module}</strong> (<code>{qualified(listed)}</code>): that module may have been
        unloaded since. Reload the catalogue.
      </div>
    );
  }
  const base = name.includes(":") ? name.slice(name.lastIndexOf(":") + 1) : name;
  const same = commands.filter((c) => c.name.toLowerCase() === base.toLowerCase());
  if (same.length) {
    return (
      <div class="error" role="alert">
        There is no command <code>{name}</code>.{" "}
        {same.map((c) => (
          <span key={qualified(c)}>
            <code>{c.name}</code> is provided by module <strong>{c.module}</strong>: run it as{" "}
            <button type="button" class="link" onClick={() => onPick(c.name)}>{c.name}</button> or{" "}
            <button type="button" class="link" onClick={() => onPick(qualified(c))}>{qualified(c)}</button>.{" "}
          </span>
        ))}
      </div>
    );
  }
  const near = closest(commands, name);
  return (
    <div class="error" role="alert">
      There is no command <code>{name}</code>.{" "}
      {near.length ? (
        <>Closest names:{" "}
          {near.map((c, i) => (
            <span key={qualified(c)}>{i ? ", " : ""}
              <button type="button" class="link" onClick={() => onPick(c.name)}>{c.name}</button>
              <small class="muted"> ({c.module})</small>
            </span>
          ))}
        </>
      ) : "No command has a similar name: search the catalogue."}
    </div>
  );
}

// ---- the page --------------------------------------------------------------------------------

export default function Console() {
  const session = useContext(Session);
  const catalogue = useLoad(() => get("/commands").then((d) => (Array.isArray(d?.Commands) ? d.Commands : [])), []);
  const commands = catalogue.data || [];
  const [search, setSearch] = useState("");
  const [name, setName] = useState("");
  const [values, setValues] = useState({});
  const [rawParams, setRawParams] = useState("");
  const [problems, setProblems] = useState({});
  const [reply, setReply] = useState(null);   // {name, data, ms}
  const [ranName, setRanName] = useState("");
  const run = useAction();

  const cmd = useMemo(() => findCommand(commands, name.trim()), [commands, name]);
  const params = useMemo(() => paramsOf(cmd), [cmd]);
  const cmdKey = cmd ? qualified(cmd) : "";
  useEffect(() => { setValues({}); setProblems({}); }, [cmdKey]);

  const needle = search.trim().toLowerCase();
  const list = needle
    ? commands.filter((c) => c.name.toLowerCase().includes(needle) || (c.summary || "").toLowerCase().includes(needle) ||
                             (c.module || "").toLowerCase().includes(needle))
    : commands;
  const mayRun = (need) => (RANK[session.role] ?? 0) >= RANK[need];

  function pick(n) {
    setName(n);
    setReply(null);
    run.setError(null);
    setRawParams("");
  }

  async function execute(e) {
    if (e) e.preventDefault();
    const target = name.trim();
    if (!target) return;
    let body;
    if (cmd) {
      const built = buildParams(params, values);
      setProblems(built.problems);
      if (Object.keys(built.problems).length) return;
      body = built.out;
    } else if (rawParams.trim()) {
      try {
        body = JSON.parse(rawParams);
      } catch (err) {
        setProblems({ _raw: "is not valid JSON: " + err.message });
        return;
      }
      if (body === null || typeof body !== "object") {
        setProblems({ _raw: "must be a JSON object (named params) or array (positional params)" });
        return;
      }
      setProblems({});
    } else setProblems({});
    setRanName(target);
    setReply(null);
    const t0 = performance.now();
    const path = "/mi/" + encodeURIComponent(target).replace(/%3A/gi, ":");
    const r = await run.run(() => api("POST", path, body),
      () => `Ran ${target} in ${Math.round(performance.now() - t0)} ms.`);
    if (r) setReply({ name: target, data: r.data });
  }

  const need = cmd ? needOf(cmd) : "read_only";
  const allowed = mayRun(need);
  const unknown = isUnknownCommand(run.error);
  const fieldError = (n) => problems[n] || (run.error && !unknown ? run.error.field(n) : null);

  return (
    <section>
      <Header title="MI console">
        <button type="button" onClick={catalogue.reload} disabled={catalogue.loading}>Reload the catalogue</button>
      </Header>
      <div class="console">
        <div class="console-catalogue">
          <div class="field">
            <label for="f-command-search">Search commands</label>
            <input id="f-command-search" type="search" value={search} autocomplete="off"
                   placeholder="name, summary or module" onInput={(e) => setSearch(e.currentTarget.value)} />
          </div>
          <ErrorBox error={catalogue.error} retry={catalogue.reload} />
          {catalogue.loading && !catalogue.data ? <Loading what="the commands" /> : catalogue.data && list.length === 0 ? (
            <Empty>{commands.length ? "No command matches the search." : "The catalogue is empty."}</Empty>
          ) : catalogue.data && (
            <>
              <p class="muted" role="status">{list.length} of {commands.length} commands</p>
              <div class="table-wrap console-list" tabIndex={0} role="region" aria-label="MI commands">
                <table data-testid="console-commands">
                  <caption class="sr-only">MI commands</caption>
                  <Columns names={["Command", "Module", "Summary", "Needs"]} />
                  <tbody>
                    {list.map((c) => {
                      const n = needOf(c);
                      const ok = mayRun(n);
                      const selected = cmd && qualified(cmd) === qualified(c);
                      return (
                        <tr key={qualified(c)} class={(ok ? "" : "disabled ") + (selected ? "selected" : "")}>
                          <td>
                            <button type="button" class="link" aria-pressed={selected ? "true" : "false"}
                                    title={ok ? "Show its params and run it" : "You may not run it: " + roleReason(n)}
                                    onClick={() => pick(c.name)}>{c.name}</button>
                          </td>
                          <td>{c.module}</td>
                          <td>{c.summary}</td>
                          <td>{ok ? needText(n) : <span class="badge blocked" title={roleReason(n)}>needs {needText(n)}</span>}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </div>

        <form class="card console-run" onSubmit={execute} aria-labelledby="console-run-title">
          <h2 id="console-run-title">Run a command</h2>
          <Field label="Command" name="command" value={name} list="command-names" autocomplete="off" spellcheck={false}
                 placeholder="e.g. uptime or core:uptime"
                 hint="Pick one in the list, or type a name (module:name also works)."
                 onInput={(e) => { setName(e.currentTarget.value); run.setError(null); }} />
          <datalist id="command-names">{commands.map((c) => <option key={qualified(c)} value={c.name} />)}</datalist>

          {cmd ? (
            <>
              <p><strong>{cmd.name}</strong> <span class="muted">module {cmd.module}</span>{" "}
                {(cmd.flags || []).map((f) => <span key={f} class="badge other">{f}</span>)}</p>
              <p>{cmd.summary}</p>
              {cmd.rest && cmd.rest.length > 0 && (
                <p class="muted">Also as {cmd.rest.map((r) => `${r.method} ${r.path}`).join(", ")}</p>
              )}
              {!allowed && <p class="notice warn" role="note">You may not run it: {roleReason(need)}.</p>}
              {params.length === 0 ? <p class="muted">It takes no params.</p> : (
                <>
                  <div class="table-wrap" tabIndex={0} role="region" aria-label={`params of ${cmd.name}`}>
                    <table class="params">
                      <caption class="sr-only">Params of {cmd.name}</caption>
                      <Columns names={["Param", "Type", "Required", "Description"]} />
                      <tbody>
                        {params.map((p) => (
                          <tr key={p.name}>
                            <td><code>{p.name}</code></td>
                            <td>{typeText(p.s)}{p.s.default !== undefined ? `, default ${JSON.stringify(p.s.default)}` : ""}</td>
                            <td>{p.required ? "yes" : "no"}</td>
                            <td>{p.s.description || p.s.help || ""}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <fieldset>
                    <legend>Params</legend>
                    {params.map((p) => (
                      <ParamInput key={cmdKey + "/" + p.name} p={p} value={values[p.name]} error={fieldError(p.name)}
                                  onValue={(v) => setValues((o) => ({ ...o, [p.name]: v }))} />
                    ))}
                  </fieldset>
                </>
              )}
            </>
          ) : name.trim() && catalogue.data ? (
            <>
              <p class="muted">The catalogue does not list <code>{name.trim()}</code>: give its params as JSON if it takes any.</p>
              <Field label="Params (a JSON object, or an array for positional params)" name="raw-params"
                     error={problems._raw}>
                <textarea id="f-raw-params" rows={4} spellcheck={false} value={rawParams} placeholder="{ }"
                          aria-invalid={problems._raw ? "true" : undefined}
                          onInput={(e) => setRawParams(e.currentTarget.value)} />
              </Field>
            </>
          ) : null}

          <div class="buttons">
            <ActionButton need={need} class="primary" busy={run.busy} onClick={execute}
                          {...(name.trim() ? {} : { disabled: true })}
                          title={name.trim() ? `POST /api/v1/mi/${name.trim()}` : "Choose a command first"}>Run</ActionButton>
          </div>
        </form>
      </div>

      <div class="console-reply" data-testid="console-reply" aria-live="polite">
        {unknown ? <UnknownCommand name={ranName} commands={commands} onPick={pick} />
                 : <ErrorBox error={run.error} />}
        <Notice text={run.notice} />
        {reply && (
          <>
            <h2>Reply of <code>{reply.name}</code></h2>
            <h3>As a tree</h3>
            <div class="tree">
              {reply.data === null || reply.data === undefined ? <p class="muted">(an empty reply)</p>
                : <ul><li><Node value={reply.data} /></li></ul>}
            </div>
            <details class="raw-json" open>
              <summary>Raw JSON</summary>
              <pre tabIndex={0}>{JSON.stringify(reply.data ?? null, null, 2)}</pre>
            </details>
          </>
        )}
      </div>
    </section>
  );
}
