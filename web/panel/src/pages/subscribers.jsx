// subscribers.jsx: the local SIP subscribers (GET /subscribers, server paging): add one
// (password typed twice), change a password (GET for the ETag, then PUT with If-Match), delete
// one (with confirmation). Passwords are never shown: the API stores only HA1 hashes.
import { useState } from "preact/hooks";
import { api, nextCursor, query, writeMatching } from "../api.js";
import { when } from "../format.js";
import { ActionButton, Empty, ErrorBox, Field, Header, Loading, Notice, Pager, useAction, useAllowed, useConfirm,
         useLoad, roleReason } from "../ui.jsx";

const LIMIT = 50;

function PasswordPair({ prefix, value, onChange, error }) {
  return (
    <>
      <Field label="Password" name={prefix + "password"} type="password" autocomplete="new-password" required
             value={value.a} error={error} onInput={(e) => onChange({ ...value, a: e.currentTarget.value })} />
      <Field label="Password again" name={prefix + "password2"} type="password" autocomplete="new-password" required
             value={value.b} error={value.b && value.a !== value.b ? "the two passwords differ" : null}
             onInput={(e) => onChange({ ...value, b: e.currentTarget.value })} />
    </>
  );
}

function AddForm({ onAdded }) {
  const [user, setUser] = useState("");
  const [domain, setDomain] = useState("");
  const [pw, setPw] = useState({ a: "", b: "" });
  const act = useAction();
  const allowed = useAllowed("operator");
  const err = act.error;
  async function submit(e) {
    e.preventDefault();
    if (pw.a !== pw.b) return;
    const r = await act.run(() => api("POST", "/subscribers", { username: user.trim(), domain: domain.trim(), password: pw.a }),
                            `Subscriber ${user.trim()}@${domain.trim()} added`);
    if (r) { setUser(""); setPw({ a: "", b: "" }); onAdded(); }
  }
  return (
    <form class="card" onSubmit={submit} aria-labelledby="add-sub">
      <h2 id="add-sub">Add a subscriber</h2>
      <fieldset disabled={!allowed} title={allowed ? undefined : roleReason("operator")}>
        <legend class="sr-only">New subscriber</legend>
        <Field label="User name" name="username" required value={user} error={err?.field?.("username")}
               onInput={(e) => setUser(e.currentTarget.value)} />
        <Field label="Domain" name="domain" required value={domain} placeholder="example.com" error={err?.field?.("domain")}
               onInput={(e) => setDomain(e.currentTarget.value)} />
        <PasswordPair prefix="new-" value={pw} onChange={setPw} error={err?.field?.("password")} />
      </fieldset>
      <ErrorBox error={err} />
      <Notice text={act.notice} />
      <ActionButton type="submit" class="primary" busy={act.busy} disabled={!user || !domain || !pw.a || pw.a !== pw.b}
                    onClick={submit}>Add subscriber</ActionButton>
    </form>
  );
}

function PasswordForm({ sub, onDone }) {
  const [pw, setPw] = useState({ a: "", b: "" });
  const act = useAction();
  const path = `/subscribers/${encodeURIComponent(sub.username)}@${encodeURIComponent(sub.domain)}`;
  async function submit(e) {
    e.preventDefault();
    const r = await act.run(() => writeMatching("PUT", path, { password: pw.a }),
                            `Password of ${sub.username}@${sub.domain} changed`);
    if (r) onDone(act.notice || `Password of ${sub.username}@${sub.domain} changed`);
  }
  return (
    <form class="card" onSubmit={submit} aria-label={`New password for ${sub.username}@${sub.domain}`}>
      <PasswordPair prefix="chg-" value={pw} onChange={setPw} error={act.error?.field?.("password")} />
      <ErrorBox error={act.error} />
      <div class="buttons">
        <ActionButton type="submit" class="primary" busy={act.busy} disabled={!pw.a || pw.a !== pw.b} onClick={submit}>
          Change password</ActionButton>
        <button type="button" onClick={() => onDone("")}>Cancel</button>
      </div>
    </form>
  );
}

export default function Subscribers() {
  const [cursors, setCursors] = useState([null]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad(async () => {
    const r = await api("GET", "/subscribers" + query({ limit: LIMIT, cursor }));
    return { rows: r.data.Subscribers || [], next: nextCursor(r.headers, r.data) };
  }, [cursor]);
  const [editing, setEditing] = useState(null);
  const [note, setNote] = useState("");
  const del = useAction();
  const [ask, dialog] = useConfirm();

  function remove(s) {
    const id = `${s.username}@${s.domain}`;
    ask(`Delete the subscriber ${id}? Its phones can no longer register.`, async () => {
      const r = await del.run(() => writeMatching("DELETE", `/subscribers/${encodeURIComponent(s.username)}@${encodeURIComponent(s.domain)}`),
                              `Subscriber ${id} deleted`);
      if (r) list.reload();
    }, "Delete");
  }

  return (
    <section>
      <Header title="Subscribers" />
      <AddForm onAdded={list.reload} />
      <Notice text={note || del.notice} />
      <ErrorBox error={del.error} />
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data ? <Loading what="the subscribers" /> : list.data?.rows.length === 0 ? (
        <Empty>No subscriber yet: add one above.</Empty>
      ) : list.data && (
        <div class="table-wrap">
          <table data-testid="subscribers-table">
            <thead><tr><th scope="col">User</th><th scope="col">Domain</th><th scope="col">Created</th>
              <th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.data.rows.map((s) => {
                const id = `${s.username}@${s.domain}`;
                return [
                  <tr key={id}>
                    <td>{s.username}</td><td>{s.domain}</td><td>{when(s.created)}</td>
                    <td><div class="buttons">
                      <ActionButton aria-label={`Change password of ${id}`} onClick={() => { setNote(""); setEditing(id); }}>
                        Change password</ActionButton>
                      <ActionButton class="danger" aria-label={`Delete ${id}`} onClick={() => remove(s)}>Delete</ActionButton>
                    </div></td>
                  </tr>,
                  editing === id && (
                    <tr key={id + "-pw"}><td colSpan={4}>
                      <PasswordForm sub={s} onDone={(msg) => { setEditing(null); setNote(msg); }} />
                    </td></tr>
                  ),
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={cursors.length} cursor={list.data?.next}
             onNext={() => setCursors([...cursors, list.data.next])} onFirst={() => setCursors([null])} />
      {dialog}
    </section>
  );
}
