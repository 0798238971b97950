// registrations.jsx: the registered AORs and their contacts, a page at a time from the server
// (GET /registrations?prefix=&limit=&cursor=), searched by AOR prefix. Expiries count down
// every second and the page follows E_UL_* events live (inserted, refreshed, deleted
// contacts); a contact can be unregistered (DELETE /registrations/{aor}/contacts/{contact}).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, nextCursor, openEvents, query } from "../api.js";
import { duration } from "../format.js";
import { ActionButton, Empty, ErrorBox, Header, Loading, Notice, Pager, useAction, useConfirm } from "../ui.jsx";

const LIMIT = 25;

/** A page's AORs with each contact's absolute expiry (unix s; 0 permanent). */
function withExpiry(aors, now) {
  return aors.map((a) => ({
    aor: a.AOR,
    contacts: (a.Contacts || []).map((c) => ({
      uri: c.Contact, agent: c["User-agent"] || "", received: c.Received || "", socket: c.Socket || "",
      q: c.Q || "", expires: typeof c.Expires === "number" ? now + c.Expires : c.Expires === "permanent" ? 0 : now,
    })),
  }));
}

export default function Registrations() {
  const [prefix, setPrefix] = useState("");
  const [search, setSearch] = useState("");
  const [cursors, setCursors] = useState([null]);  // cursor of each page shown so far
  const [page, setPage] = useState(null);           // {aors, next}
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);
  const [now, setNow] = useState(Date.now() / 1000);
  const [stream, setStream] = useState("connecting");
  const action = useAction();
  const [ask, dialog] = useConfirm();
  const reloadTimer = useRef(null);
  const cursor = cursors[cursors.length - 1];

  async function load() {
    setLoading(true);
    try {
      const r = await api("GET", "/registrations" + query({ prefix: search, limit: LIMIT, cursor }));
      setPage({ aors: withExpiry(r.data.AORs || [], Date.now() / 1000), next: nextCursor(r.headers, r.data) });
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => { load(); }, [search, cursor]);

  // Live: patch the AORs on this page; a new AOR that belongs here reloads the page.
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now() / 1000), 1000);
    const close = openEvents({
      subscribe: ["E_UL_*"],
      onState: setStream,
      onEvent: (e) => {
        const p = e.params || {};
        setPage((pg) => {
          if (!pg) return pg;
          const i = pg.aors.findIndex((a) => a.aor === p.aor);
          if (i < 0) {
            if ((e.event === "E_UL_AOR_INSERT" || e.event === "E_UL_CONTACT_INSERT") && p.aor?.startsWith(search)) {
              clearTimeout(reloadTimer.current);
              reloadTimer.current = setTimeout(load, 300);
            }
            return pg;
          }
          const aors = pg.aors.slice();
          const a = { ...aors[i], contacts: aors[i].contacts.slice() };
          const j = a.contacts.findIndex((c) => c.uri === p.uri);
          if (e.event === "E_UL_CONTACT_DELETE") {
            if (j >= 0) a.contacts.splice(j, 1);
          } else if (e.event.startsWith("E_UL_CONTACT_")) {
            const c = { uri: p.uri, agent: p.user_agent || "", received: p.received || "", socket: p.socket || "",
                        q: p.q === null || p.q === undefined ? "" : String(p.q), expires: p.expires };
            if (j >= 0) a.contacts[j] = c; else a.contacts.push(c);
          }
          if (a.contacts.length === 0) aors.splice(i, 1); else aors[i] = a;
          return { ...pg, aors };
        });
      },
    });
    return () => { clearInterval(tick); close(); clearTimeout(reloadTimer.current); };
  }, [search]);

  const rows = useMemo(() => page?.aors || [], [page]);
  function unregister(aor, uri) {
    ask(`Unregister ${uri} from ${aor}?`, () => action.run(
      () => api("DELETE", `/registrations/${encodeURIComponent(aor)}/contacts/${encodeURIComponent(uri)}`),
      `Unregistered ${uri}`).then(load), "Unregister");
  }

  return (
    <section>
      <Header title="Registrations">
        <span class={"stream " + (stream === "live" ? "live" : "")} role="status">Live: {stream}</span>
      </Header>
      <form class="inline card" role="search" onSubmit={(e) => { e.preventDefault(); setCursors([null]); setSearch(prefix.trim()); }}>
        <div class="field">
          <label for="reg-search">AOR starts with</label>
          <input id="reg-search" type="search" value={prefix} placeholder="alice@ or alice@example.com"
                 onInput={(e) => setPrefix(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary">Search</button>
      </form>
      <Notice text={action.notice} />
      <ErrorBox error={action.error} />
      <ErrorBox error={error} retry={load} />
      {loading && !page ? <Loading what="the registrations" /> : rows.length === 0 ? (
        <Empty>{search ? `No registration starts with “${search}”.` : "Nothing is registered yet."}</Empty>
      ) : (
        <div class="table-wrap">
          <table data-testid="registrations-table">
            <thead><tr><th scope="col">AOR</th><th scope="col">Contact</th><th scope="col">Expires in</th>
              <th scope="col">User agent</th><th scope="col">Received</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {rows.flatMap((a) => a.contacts.map((c, k) => (
                <tr key={a.aor + " " + c.uri} data-aor={a.aor}>
                  {k === 0 && <th scope="row" rowSpan={a.contacts.length}>{a.aor}</th>}
                  <td><code>{c.uri}</code></td>
                  <td class="expires">{c.expires === 0 ? "permanent" : duration(c.expires - now)}</td>
                  <td>{c.agent}</td>
                  <td>{c.received}</td>
                  <td><ActionButton aria-label={`Unregister ${c.uri}`} onClick={() => unregister(a.aor, c.uri)}>Unregister</ActionButton></td>
                </tr>
              )))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={cursors.length} cursor={page?.next}
             onNext={() => setCursors([...cursors, page.next])} onFirst={() => setCursors([null])} />
      {dialog}
    </section>
  );
}
