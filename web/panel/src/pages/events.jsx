// events.jsx: a live log of the event stream (GET /events over a WebSocket), newest first, the
// last 500 kept. The names come from the events_list command (POST /mi/events_list); the stream
// subscribes to all of them but E_STATISTICS, whose periodic samples are only asked for when the
// box says so. A filter by name, pause/resume (events keep arriving and are held), clear, and
// each entry opens to its params as JSON.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, openEvents } from "../api.js";
import { clock } from "../format.js";
import { Empty, ErrorBox, Header, Loading, useLoad } from "../ui.jsx";
import { summary } from "./dashboard.jsx";

const KEEP = 500;
const FLUSH_MS = 200;  // events are shown in batches: a storm does not re-render per event

function Entry({ e, info }) {
  const [open, setOpen] = useState(false);
  return (
    <li>
      <details open={open} onToggle={(ev) => setOpen(ev.currentTarget.open)}>
        <summary>
          <time dateTime={new Date(e.time * 1000).toISOString()}>{clock(e.time)}</time>{" "}
          <code class="event-name">{e.event}</code>{" "}
          {e.dropped ? <span class="badge failed" title="events this stream lost before this one">{e.dropped} lost before</span> : null}{" "}
          <span class="event-summary">{summary(e.params)}</span>
        </summary>
        {open && (
          <div class="event-detail">
            {info && <p class="muted">{info.summary} (module {info.module})</p>}
            <p class="muted">seq {e.seq ?? "–"} · {new Date(e.time * 1000).toLocaleString(undefined, { hour12: false })}</p>
            <pre tabIndex={0}>{JSON.stringify(e.params ?? null, null, 2)}</pre>
          </div>
        )}
      </details>
    </li>
  );
}

export default function Events() {
  const catalogue = useLoad(() => api("POST", "/mi/events_list", {}).then((r) => (Array.isArray(r.data) ? r.data : [])), []);
  const [entries, setEntries] = useState([]);
  const [held, setHeld] = useState(0);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  const [withStats, setWithStats] = useState(false);
  const [stream, setStream] = useState("connecting");
  const pausedRef = useRef(false);
  const heldRef = useRef([]);      // arrived while paused, newest first
  const pendingRef = useRef([]);   // arrived since the last flush, newest first
  const serial = useRef(0);

  // Which names to subscribe to: every known event but E_STATISTICS (unless asked). Until
  // events_list answers, nothing is opened; if it fails, "E_*" and the samples are dropped here.
  const settled = !catalogue.loading || catalogue.data || catalogue.error;
  const names = catalogue.data ? catalogue.data.map((x) => x.name) : null;
  const subscribeKey = !settled ? null
    : withStats ? "E_*"
    : names && names.length ? names.filter((n) => n !== "E_STATISTICS").join(",") : "E_*";

  useEffect(() => {
    if (subscribeKey === null) return undefined;
    let timer = null;
    const flush = () => {
      timer = null;
      const batch = pendingRef.current;
      pendingRef.current = [];
      if (!batch.length) return;
      if (pausedRef.current) {
        heldRef.current = [...batch, ...heldRef.current].slice(0, KEEP);
        setHeld(heldRef.current.length);
      } else {
        setEntries((list) => [...batch, ...list].slice(0, KEEP));
      }
    };
    const close = openEvents({
      subscribe: subscribeKey.split(","),
      statistics: withStats ? { interval: 10 } : undefined,
      onState: setStream,
      onEvent: (e) => {
        if (e.event === "E_STATISTICS" && !withStats) return;
        pendingRef.current.unshift({ ...e, key: ++serial.current });
        if (pendingRef.current.length > KEEP) pendingRef.current.length = KEEP;
        if (!timer) timer = setTimeout(flush, FLUSH_MS);
      },
    });
    return () => { clearTimeout(timer); flush(); close(); };
  }, [subscribeKey, withStats]);

  function togglePause() {
    if (pausedRef.current) {
      const h = heldRef.current;
      heldRef.current = [];
      setHeld(0);
      setEntries((list) => [...h, ...list].slice(0, KEEP));
    }
    pausedRef.current = !pausedRef.current;
    setPaused(pausedRef.current);
  }

  function clear() {
    heldRef.current = [];
    pendingRef.current = [];
    setHeld(0);
    setEntries([]);
  }

  const info = useMemo(() => {
    const m = new Map();
    for (const x of catalogue.data || []) m.set(x.name, x);
    return m;
  }, [catalogue.data]);

  const needle = filter.trim().toLowerCase();
  const shown = needle ? entries.filter((e) => e.event.toLowerCase().includes(needle)) : entries;

  return (
    <section>
      <Header title="Events">
        <span class={"stream " + (stream === "live" ? "live" : "")} role="status">Stream: {stream}</span>
      </Header>
      <form class="card inline" onSubmit={(e) => e.preventDefault()} aria-label="event log controls">
        <div class="field">
          <label for="f-event-filter">Filter by event name</label>
          <input id="f-event-filter" type="search" list="event-names" value={filter} placeholder="e.g. E_UL_ or CALL"
                 autocomplete="off" onInput={(e) => setFilter(e.currentTarget.value)} />
          <datalist id="event-names">
            {(catalogue.data || []).map((x) => <option key={x.name} value={x.name}>{x.summary}</option>)}
          </datalist>
        </div>
        <div class="field checkbox-field">
          <label>
            <input type="checkbox" checked={withStats} onChange={(e) => setWithStats(e.currentTarget.checked)} />
            {" "}Include E_STATISTICS samples (every 10 s)
          </label>
        </div>
        <div class="buttons field-buttons">
          <button type="button" aria-pressed={paused ? "true" : "false"} onClick={togglePause}>
            {paused ? "Resume" : "Pause"}
          </button>
          <button type="button" onClick={clear} disabled={!entries.length && !held}>Clear the log</button>
        </div>
      </form>
      <ErrorBox error={catalogue.error} retry={catalogue.reload} />
      {catalogue.error && <p class="muted">Without the list of events, the stream takes every event (E_*).</p>}
      <p class="muted" role="status">
        {paused ? `Paused: ${held} new event${held === 1 ? "" : "s"} held. ` : ""}
        {needle ? `Showing ${shown.length} of ${entries.length} events` : `${entries.length} event${entries.length === 1 ? "" : "s"}`}
        {" "}(newest first, the last {KEEP} kept).
      </p>
      {!settled ? <Loading what="the list of events" /> : shown.length === 0 ? (
        <Empty>{entries.length ? "No event matches the filter." : paused ? "Paused: no event shown." : "No event yet: they appear here as they happen."}</Empty>
      ) : null}
      <ol class="events event-log" data-testid="events-log" aria-label="events, newest first">
        {shown.map((e) => <Entry key={e.key} e={e} info={info.get(e.event)} />)}
      </ol>
    </section>
  );
}
