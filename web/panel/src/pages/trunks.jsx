// trunks.jsx: the SIP accounts (trunks) — GET /accounts with each one's live registration state
// (E_ACCOUNT_REG_STATE over the event stream) and last error (POST /mi/reg_list: account_list
// has no last_error and reg_list has no REST path of its own). Add one (POST /accounts), edit
// one (GET /accounts/{name} for its ETag, then PATCH with If-Match and only the changed
// fields), delete one (DELETE with confirmation), re-register one now
// (POST /accounts/{name}/registration). The secret is write-only: never filled from the API.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get } from "../api.js";
import { ActionButton, EditLoader, Empty, ErrorBox, Field, Header, Loading, Notice, roleReason, useAction, useAllowed,
         useConfirm, useLoad, useEvents } from "../ui.jsx";

const path = (name) => "/accounts/" + encodeURIComponent(name);

function StateBadge({ state }) {
  const cls = state === "registered" ? "registered" : state === "failed" ? "failed" : "other";
  return <span class={"badge " + cls}>{state || "not loaded"}</span>;
}

/** "12" → 12; anything else stays text so the API names the field in its answer. */
function int(text) {
  const t = String(text).trim();
  return /^\d+$/.test(t) ? Number(t) : t;
}

/** "503, 408" → [503, 408] (non-numbers kept as text for the API to refuse by name). */
function codes(text) {
  return String(text).split(/[\s,;]+/).filter(Boolean).map(int);
}

const EMPTY = { name: "", address: "", transport: "udp", username: "", secret: "", auth_user: "", displayname: "",
                domain: "", register: true, expires: "3600", matchtype: "address", failover_causes: "", channels: "" };

/** The form's values from an account as the API shows it (never the secret). */
function valuesOf(a) {
  return { name: a.name, address: a.address, transport: a.transport || "udp", username: a.username, secret: "",
           auth_user: a.auth_user, displayname: a.displayname, domain: a.domain, register: a.register,
           expires: String(a.expires ?? ""), matchtype: a.matchtype || "address",
           failover_causes: (a.options?.failover_causes || []).join(", "),
           channels: a.options?.channels !== undefined ? String(a.options.channels) : "" };
}

/** The request body from the form (without name and secret). */
function bodyOf(v, base = {}) {
  const options = { ...(base.options || {}) };
  delete options.failover_causes;
  delete options.channels;
  if (v.failover_causes.trim()) options.failover_causes = codes(v.failover_causes);
  if (v.channels.trim()) options.channels = int(v.channels);
  const b = { address: v.address.trim(), transport: v.transport, username: v.username.trim(),
              auth_user: v.auth_user.trim(), displayname: v.displayname, domain: v.domain.trim(),
              register: v.register, matchtype: v.matchtype, options };
  if (String(v.expires).trim()) b.expires = int(v.expires);
  return b;
}

/** JSON with the object keys sorted: equal values give equal text. */
function canon(v) {
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  if (v && typeof v === "object") return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  return JSON.stringify(v ?? null);
}
const same = (a, b) => canon(a) === canon(b);

/** Add (no `account`) or edit (`account` + its `etag`) a trunk. `onDone(notice)` when saved. */
function AccountForm({ account, etag, onDone, onCancel }) {
  const editing = !!account;
  const [v, setV] = useState(editing ? valuesOf(account) : EMPTY);
  const act = useAction();
  const allowed = useAllowed("operator");
  const err = act.error;
  const pre = editing ? "edit-" : "add-";
  const bind = (k) => ({ value: v[k], onInput: (e) => setV((o) => ({ ...o, [k]: e.currentTarget.value })) });
  const fe = (k) => err?.field?.(k);

  async function submit(e) {
    e.preventDefault();
    if (editing) {
      const body = bodyOf(v, account);
      const changes = {};
      for (const [k, val] of Object.entries(body)) {
        const old = k === "options" ? { ...account.options } : account[k];
        if (!same(val, old)) changes[k] = val;
      }
      if (v.secret) changes.secret = v.secret;
      if (Object.keys(changes).length === 0) {
        onDone(`Nothing changed on trunk ${account.name}`);
        return;
      }
      const r = await act.run(() => api("PATCH", path(account.name), changes, { headers: { "If-Match": etag || "*" } }));
      if (r) onDone(`Trunk ${account.name} saved` + (r.data?.state ? ` (registration: ${r.data.state})` : ""));
    } else {
      const name = v.name.trim();
      const r = await act.run(() => api("POST", "/accounts", { name, ...bodyOf(v), secret: v.secret }));
      if (r) onDone(`Trunk ${name} added` + (r.data?.state ? ` (registration: ${r.data.state})` : ""));
    }
  }

  const title = editing ? `Edit trunk ${account.name}` : "Add a trunk";
  const check = (k, label) => (
    <div class="field check">
      <label><input type="checkbox" name={pre + k} checked={v[k]}
                    onChange={(e) => setV((o) => ({ ...o, [k]: e.currentTarget.checked }))} /> {label}</label>
      {fe(k) && <small class="field-error">{fe(k)}</small>}
    </div>
  );
  const select = (k, label, choices, hint) => (
    <Field label={label} name={pre + k} error={fe(k)} hint={hint}>
      <select id={"f-" + pre + k} name={pre + k} value={v[k]} aria-invalid={fe(k) ? "true" : undefined}
              onChange={(e) => setV((o) => ({ ...o, [k]: e.currentTarget.value }))}>
        {choices.map((c) => <option key={c} value={c}>{c}</option>)}
      </select>
    </Field>
  );
  return (
    <form class="card edit-form" onSubmit={submit} noValidate aria-labelledby={pre + "title"} data-testid={pre + "trunk-form"}>
      <h2 id={pre + "title"}>{title}</h2>
      <fieldset disabled={!allowed || act.busy} title={allowed ? undefined : roleReason("operator")}>
        <legend class="sr-only">{title}</legend>
        <div class="form-grid">
          {!editing && (
            <Field label="Name" name={pre + "name"} required {...bind("name")} error={fe("name")}
                   hint="letters, digits, _ - . (1..64)" autocomplete="off" />
          )}
          <Field label="Address" name={pre + "address"} required {...bind("address")} error={fe("address")}
                 placeholder="sip.example.com:5060" hint="peer host[:port]" />
          {select("transport", "Transport", ["udp", "tcp"])}
          <Field label="User name" name={pre + "username"} required {...bind("username")} error={fe("username")}
                 autocomplete="off" />
          <Field label="Secret" name={pre + "secret"} type="password" autocomplete="new-password"
                 required={!editing} {...bind("secret")} error={fe("secret")}
                 hint={editing ? `Currently ${account.has_secret ? "set" : "not set"}; leave empty to keep it.`
                               : "digest password; never shown again"} />
          <Field label="Auth user" name={pre + "auth_user"} {...bind("auth_user")} error={fe("auth_user")}
                 hint="empty = the user name" autocomplete="off" />
          <Field label="Display name" name={pre + "displayname"} {...bind("displayname")} error={fe("displayname")} />
          <Field label="Domain" name={pre + "domain"} {...bind("domain")} error={fe("domain")}
                 hint="empty = host of the address" />
          <Field label="Expires (s)" name={pre + "expires"} type="number" min="60" max="86400" {...bind("expires")}
                 error={fe("expires")} hint="60..86400" />
          {select("matchtype", "Inbound match", ["address", "address_user", "to_user"],
                  v.matchtype === "to_user" ? "to_user trusts the network (any source)" : "how inbound calls find it")}
          {check("register", "Register to the peer")}
        </div>
        <fieldset class={"options" + (fe("options") ? " invalid" : "")}>
          <legend>Options</legend>
          {fe("options") && <p class="field-error" id={pre + "options-err"}>{fe("options")}</p>}
          <div class="form-grid">
            <Field label="Failover causes" name={pre + "failover_causes"} {...bind("failover_causes")}
                   placeholder="503, 408" hint="SIP codes that try the next route, comma separated"
                   aria-describedby={fe("options") ? pre + "options-err" : undefined} />
            <Field label="Channels" name={pre + "channels"} type="number" min="1" max="1000" {...bind("channels")}
                   hint="1..1000, empty = no limit" aria-describedby={fe("options") ? pre + "options-err" : undefined} />
          </div>
        </fieldset>
      </fieldset>
      <ErrorBox error={err} />
      <div class="buttons">
        <ActionButton type="submit" class="primary" busy={act.busy}
                      disabled={(!editing && (!v.name.trim() || !v.secret)) || !v.address.trim() || !v.username.trim()}>
          {editing ? "Save trunk" : "Add trunk"}</ActionButton>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

/** Reads one account (for its ETag and current fields), then shows the edit form. */
function EditAccount({ name, onDone, onCancel }) {
  return <EditLoader path={path(name)} what={`trunk ${name}`} onCancel={onCancel}
                     render={(account, etag) => <AccountForm account={account} etag={etag} onDone={onDone} onCancel={onCancel} />} />;
}

export default function Trunks() {
  // Each row: the account plus last_error (from reg_list; null when unknown). `at` = when the
  // read started: a live state that arrived later wins over the list's.
  const list = useLoad(async () => {
    const at = Date.now();
    const [acc, regs] = await Promise.all([
      get("/accounts"),
      api("POST", "/mi/reg_list", {}).then((r) => r.data?.Registrations || [], () => null),
    ]);
    const byName = {};
    for (const r of regs || []) byName[r.name] = r;
    return { at, rows: (acc.Accounts || []).map((a) => ({ ...a, last_error: byName[a.name]?.last_error ?? null })) };
  }, []);
  const [live, setLive] = useState({});  // name → {state, error, at}
  const [form, setForm] = useState(null); // null | {mode: "add"} | {mode: "edit", name}
  const [note, setNote] = useState("");
  const act = useAction();
  const [pending, setPending] = useState("");
  const [ask, dialog] = useConfirm();
  const known = useRef(new Set());
  known.current = new Set((list.data?.rows || []).map((a) => a.name));

  const stream = useEvents(["E_ACCOUNT_REG_STATE"], (e) => {
    if (e.event !== "E_ACCOUNT_REG_STATE" || !e.params) return;
    const p = e.params;
    setLive((m) => ({ ...m, [p.account]: { state: p.state, error: p.error, at: Date.now() } }));
    if (list.data && !known.current.has(p.account)) list.reload();  // added elsewhere
  });

  function row(a) {
    const l = live[a.name];
    // A list read started in the same millisecond as (or after) the live state is at least as new.
    if (!l || !list.data || l.at <= list.data.at) return a;
    // As the daemon keeps it: cleared when registered or disabled, set when failed.
    const last_error = l.state === "failed" ? (l.error || a.last_error)
                     : l.state === "registered" || l.state === "disabled" ? "" : a.last_error;
    return { ...a, state: l.state, last_error };
  }

  function done(message) {
    setForm(null);
    setNote(message);
    list.reload();
  }

  async function register(a) {
    setNote("");
    setPending("reg:" + a.name);
    const sent = Date.now();
    const r = await act.run(() => api("POST", path(a.name) + "/registration"),
                            (r) => `Registration of ${a.name} restarted: ${r.data?.state || "?"}`
                                   + (r.data?.last_error ? ` (${r.data.last_error})` : ""));
    setPending("");
    if (r) {
      // The answer's state ("registering") is older than an event that arrived meanwhile (the
      // registrar's 200 can beat the HTTP answer): it must not hide that event's state.
      setLive((m) => (m[a.name] && m[a.name].at >= sent ? m
        : { ...m, [a.name]: { state: r.data.state, error: r.data.last_error || null, at: Date.now() } }));
      list.reload();
    }
  }

  function remove(a) {
    setNote("");
    ask(`Delete the trunk ${a.name}? Its registration is removed first (Expires: 0) and calls can no longer use it.`,
        async () => {
          setPending("del:" + a.name);
          const r = await act.run(() => api("DELETE", path(a.name), undefined, { headers: { "If-Match": "*" } }),
                                  `Trunk ${a.name} deleted`);
          setPending("");
          if (r) {
            if (form?.name === a.name) setForm(null);
            list.reload();
          }
        }, "Delete");
  }

  const rows = (list.data?.rows || []).map(row);
  return (
    <section>
      <Header title="Trunks (SIP accounts)">
        <span class={"stream " + (stream === "live" ? "live" : "")} role="status">Live state: {stream}</span>
        <ActionButton class="primary" onClick={() => { setNote(""); setForm({ mode: "add" }); }}
                      disabled={form?.mode === "add"}>Add a trunk</ActionButton>
      </Header>
      {form?.mode === "add" && <AccountForm onDone={done} onCancel={() => setForm(null)} />}
      {form?.mode === "edit" && (
        <EditAccount key={form.name} name={form.name} onDone={done} onCancel={() => setForm(null)} />
      )}
      <Notice text={note || act.notice} />
      <ErrorBox error={act.error} />
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data ? <Loading what="the trunks" /> : list.data && rows.length === 0 ? (
        <Empty>No trunk yet: add one with “Add a trunk”.</Empty>
      ) : list.data && (
        <div class="table-wrap">
          <table class="wide" data-testid="trunks-table">
            <caption class="sr-only">SIP accounts (trunks) with their registration state</caption>
            <thead><tr>
              <th scope="col">Name</th><th scope="col">Address</th><th scope="col">Transport</th>
              <th scope="col">User name</th><th scope="col">Secret</th><th scope="col">Register</th>
              <th scope="col">State</th><th scope="col">Last error</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr></thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.name} data-name={a.name}>
                  <th scope="row">{a.name}</th>
                  <td>{a.address}</td>
                  <td>{a.transport}</td>
                  <td>{a.username}{a.auth_user && a.auth_user !== a.username ? ` (auth ${a.auth_user})` : ""}</td>
                  <td>{a.has_secret ? "set" : "not set"}</td>
                  <td>{a.register ? `on, ${a.expires} s` : "off"}</td>
                  <td class="reg-state"><StateBadge state={a.state} /></td>
                  <td class="reg-error">{a.last_error === null ? "–" : a.last_error || "none"}</td>
                  <td><div class="buttons">
                    <ActionButton aria-label={`Edit trunk ${a.name}`} disabled={act.busy}
                                  onClick={() => { setNote(""); setForm({ mode: "edit", name: a.name }); }}>Edit</ActionButton>
                    <ActionButton aria-label={`Register now: trunk ${a.name}`} busy={pending === "reg:" + a.name}
                                  disabled={act.busy || !a.register}
                                  title={a.register ? undefined : "registration is off for this trunk"}
                                  onClick={() => register(a)}>Register now</ActionButton>
                    <ActionButton class="danger" aria-label={`Delete trunk ${a.name}`} busy={pending === "del:" + a.name}
                                  disabled={act.busy} onClick={() => remove(a)}>Delete</ActionButton>
                  </div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog}
    </section>
  );
}
