// ports.jsx: the line interfaces and their groups — GET /ports (state, why it is down, channels
// in use, groups) with block / unblock (POST /ports/{port}/block|unblock) and restart (POST
// /ports/{port}/restart, with confirmation: it ends the port's calls), and GET /port-groups.
// Live: E_PORT_STATE over the event stream updates a port's state, reason and channels in use
// (a port added elsewhere reloads the list, a deleted one leaves it); the groups' free channels
// are re-read shortly after.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get } from "../api.js";
import { ActionButton, Empty, ErrorBox, Header, Loading, Notice, useAction, useConfirm,
         useLoad, useEvents } from "../ui.jsx";

function StateBadge({ state }) {
  const cls = state === "up" || state === "down" || state === "blocked" ? state : "other";
  return <span class={"badge " + cls}>{state}</span>;
}

export default function Ports() {
  // `at`: when the read started; a live state that arrived later wins over the list's.
  const ports = useLoad(async () => {
    const at = Date.now();
    const d = await get("/ports");
    return { at, rows: d.Ports || [] };
  }, []);
  const groups = useLoad(() => get("/port-groups").then((d) => d.Groups || []), []);
  const [live, setLive] = useState({});  // port → {state, reason, in_use, channels, at}
  const [note, setNote] = useState("");
  const act = useAction();
  const [pending, setPending] = useState("");
  const [ask, dialog] = useConfirm();
  const groupsTimer = useRef(null);
  const known = useRef(new Set());
  known.current = new Set((ports.data?.rows || []).map((p) => p.port));
  useEffect(() => () => clearTimeout(groupsTimer.current), []);

  const stream = useEvents(["E_PORT_STATE"], (e) => {
    if (e.event !== "E_PORT_STATE" || !e.params) return;
    const p = e.params;
    setLive((m) => ({ ...m, [p.port]: { state: p.state, reason: p.reason, in_use: p.in_use, channels: p.channels,
                                        at: Date.now() } }));
    if (ports.data && p.state !== "deleted" && !known.current.has(p.port)) ports.reload();  // added elsewhere
    clearTimeout(groupsTimer.current);
    groupsTimer.current = setTimeout(groups.reload, 1000);  // free channels follow
  });

  function row(p) {
    const l = live[p.port];
    if (!l || !ports.data || l.at < ports.data.at) return p;
    if (l.state === "deleted") return null;
    return { ...p, state: l.state, blocked: l.state === "blocked", state_reason: l.reason ?? "", in_use: l.in_use,
             channels: l.channels };
  }

  async function change(key, fn, done) {
    setNote("");
    setPending(key);
    const r = await act.run(fn, done);
    setPending("");
    if (r) { ports.reload(); groups.reload(); }
    return r;
  }

  const block = (p, on) => change(`${on ? "block" : "unblock"}:${p.port}`,
    () => api("POST", `/ports/${p.port}/${on ? "block" : "unblock"}`),
    (r) => `Port ${p.port} ${on ? "blocked: it takes no new calls" : "unblocked"} (state ${r.data?.state ?? "?"}, `
           + `${r.data?.in_use ?? "?"} channels in use)`);

  function restart(p) {
    setNote("");
    const calls = p.in_use ? `Its ${p.in_use} call${p.in_use === 1 ? "" : "s"} in progress will be ended`
                           : "Any call on it will be ended";
    ask(`Restart port ${p.port}${p.label ? ` (${p.label})` : ""}? ${calls} (cause 41, temporary failure) and the line is reset.`,
        () => change(`restart:${p.port}`, () => api("POST", `/ports/${p.port}/restart`),
                     (r) => `Port ${p.port} restarted: ${r.data?.calls_ended ?? 0} call(s) ended, state ${r.data?.state ?? "?"}`),
        "Restart");
  }

  const rows = (ports.data?.rows || []).map(row).filter(Boolean).sort((a, b) => a.port - b.port);
  return (
    <section>
      <Header title="Ports and groups">
        <span class={"stream " + (stream === "live" ? "live" : "")} role="status">Live state: {stream}</span>
      </Header>
      <h2 id="ports-title">Ports</h2>
      <Notice text={note || act.notice} />
      <ErrorBox error={act.error} />
      <ErrorBox error={ports.error} retry={ports.reload} />
      {ports.loading && !ports.data ? <Loading what="the ports" /> : ports.data && rows.length === 0 ? (
        <Empty>No port is configured.</Empty>
      ) : ports.data && (
        <div class="table-wrap">
          <table class="wide" data-testid="ports-table" aria-labelledby="ports-title">
            <thead><tr>
              <th scope="col" class="num">Port</th><th scope="col">Type</th><th scope="col">Label</th>
              <th scope="col">State</th><th scope="col">Reason</th><th scope="col" class="num">Channels</th>
              <th scope="col" class="num">In use</th><th scope="col">Groups</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr></thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.port} data-port={p.port}>
                  <th scope="row" class="num">{p.port}</th>
                  <td>{p.type}</td>
                  <td>{p.label}</td>
                  <td class="port-state"><StateBadge state={p.state} /></td>
                  <td class="port-reason">{p.state_reason || ""}</td>
                  <td class="num port-channels">{p.channels}</td>
                  <td class="num port-in-use">{p.in_use}</td>
                  <td>{(p.groups || []).join(", ")}</td>
                  <td><div class="buttons">
                    {p.blocked ? (
                      <ActionButton aria-label={`Unblock port ${p.port}`} busy={pending === `unblock:${p.port}`} disabled={act.busy}
                           onClick={() => block(p, false)}>Unblock</ActionButton>
                    ) : (
                      <ActionButton aria-label={`Block port ${p.port}`} busy={pending === `block:${p.port}`} disabled={act.busy}
                           title="it takes no new calls; calls in progress go on" onClick={() => block(p, true)}>Block</ActionButton>
                    )}
                    <ActionButton class="danger" aria-label={`Restart port ${p.port}`} busy={pending === `restart:${p.port}`}
                         disabled={act.busy} onClick={() => restart(p)}>Restart</ActionButton>
                  </div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="groups-title">Port groups</h2>
      <ErrorBox error={groups.error} retry={groups.reload} />
      {groups.loading && !groups.data ? <Loading what="the port groups" /> : groups.data && groups.data.length === 0 ? (
        <Empty>No port group is configured.</Empty>
      ) : groups.data && (
        <div class="table-wrap">
          <table data-testid="groups-table" aria-labelledby="groups-title">
            <thead><tr>
              <th scope="col">Name</th><th scope="col">Hunting</th><th scope="col">Ports (in hunting order)</th>
              <th scope="col" class="num">Free channels</th>
            </tr></thead>
            <tbody>
              {groups.data.map((g) => (
                <tr key={g.name} data-group={g.name}>
                  <th scope="row">{g.name}</th>
                  <td>{g.hunt}</td>
                  <td>{(g.ports || []).join(", ") || <span class="muted">none</span>}</td>
                  <td class="num">{g.free_channels}</td>
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
