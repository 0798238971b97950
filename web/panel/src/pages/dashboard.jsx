// dashboard.jsx: the gateway at a glance — version and uptime (GET /system), registrations,
// calls, trunks and ports (statistics), MI calls/s and REGISTERs/s as live charts fed by
// E_STATISTICS samples every second over the event stream (the last 15 minutes are kept
// here, in the browser), and the latest events.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { get, openEvents } from "../api.js";
import { clock, count, duration } from "../format.js";
import { ErrorBox, Header, Loading, useLoad } from "../ui.jsx";

const KEEP_S = 15 * 60;
const NAMES = ["usrloc:location-contacts", "usrloc:location-users", "calls:active_calls", "calls:connected_calls",
               "accounts:registered", "accounts:accounts", "ports:ports", "ports:blocked_ports",
               "mi:calls", "registrar:accepted_regs", "registrar:rejected_regs"];

/** A rate chart (per second) of the last 15 minutes; `series` = [times[], values[]]. */
function RateChart({ title, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = () => Math.max(260, box.current.clientWidth - 8);
    plot.current = new uPlot({
      title, width: width(), height: 180,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(5, max * 1.2)] } },
      axes: [{}, { label: "per second", size: 60 }],
      series: [{}, { label: title, stroke: "#1f6feb", width: 2, fill: "rgba(31,111,235,0.12)" }],
    }, [[], []], box.current);
    const ro = new ResizeObserver(() => plot.current.setSize({ width: width(), height: 180 }));
    ro.observe(box.current);
    return () => { ro.disconnect(); plot.current.destroy(); };
  }, []);
  useEffect(() => { plot.current && plot.current.setData(data); }, [data]);
  const values = data[1];
  const latest = values.length ? values[values.length - 1] : null;
  const peak = values.length ? Math.max(...values) : null;
  return (
    <div class="chart-box">
      <figure class="chart" ref={box} aria-label={title + ", the last 15 minutes"} />
      <p class="chart-caption" data-testid={"rate-" + title}>
        {latest === null ? "waiting for the first samples…" : `now ${latest.toFixed(1)}/s · peak ${peak.toFixed(1)}/s (15 min)`}
      </p>
    </div>
  );
}

function Tile({ label, value, detail }) {
  return (
    <div class="tile">
      <span class="label">{label}</span>
      <span class="value">{value}</span>
      {detail && <span class="detail">{detail}</span>}
    </div>
  );
}

export default function Dashboard() {
  const system = useLoad(() => get("/system"), []);
  const [stats, setStats] = useState(null);
  const [series, setSeries] = useState({ t: [], mi: [], reg: [] });
  const [events, setEvents] = useState([]);
  const [stream, setStream] = useState("connecting");
  const [now, setNow] = useState(Date.now() / 1000);
  const [ports, setPorts] = useState(null);  // port → state, from GET /ports then E_PORT_STATE
  const last = useRef(null);

  useEffect(() => {
    get("/statistics").then(setStats, () => {});
    get("/ports").then((r) => setPorts(Object.fromEntries((r.Ports || []).map((p) => [p.port, p.state]))), () => {});
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    const close = openEvents({
      subscribe: ["E_*"],
      statistics: { interval: 1, names: NAMES },
      onState: setStream,
      onEvent: (e) => {
        if (e.event !== "E_STATISTICS") {
          setEvents((list) => [e, ...list].slice(0, 12));
          if (e.event === "E_PORT_STATE") {
            setPorts((m) => {
              const next = { ...(m || {}) };
              if (e.params.state === "deleted") delete next[e.params.port];
              else next[e.params.port] = e.params.state;
              return next;
            });
          }
          return;
        }
        const s = e.params.statistics || {};
        setStats((old) => ({ ...(old || {}), ...s }));
        const prev = last.current;
        last.current = { time: e.time, s };
        if (!prev) return;
        const dt = Math.max(0.001, e.time - prev.time);
        const rate = (k) => Math.max(0, ((s[k] ?? 0) - (prev.s[k] ?? 0)) / dt);
        const regs = rate("registrar:accepted_regs") + rate("registrar:rejected_regs");
        setSeries((o) => {
          const cut = o.t.findIndex((t) => t >= e.time - KEEP_S);
          const from = cut < 0 ? o.t.length : cut;
          return { t: [...o.t.slice(from), e.time], mi: [...o.mi.slice(from), rate("mi:calls")],
                   reg: [...o.reg.slice(from), regs] };
        });
      },
    });
    return () => { clearInterval(timer); close(); };
  }, []);

  const sys = system.data;
  const st = stats || {};
  return (
    <section>
      <Header title="Dashboard"><span class={"stream " + (stream === "live" ? "live" : "")} role="status">Live data: {stream}</span></Header>
      <ErrorBox error={system.error} retry={system.reload} />
      {system.loading && !sys ? <Loading what="the system" /> : sys && (
        <div class="tiles">
          <Tile label="Version" value={sys.version} detail={sys.server} />
          <Tile label="Uptime" value={duration(now - sys.started)} detail={"since " + new Date(sys.started * 1000).toLocaleString()} />
          <Tile label="Registrations" value={count(st["usrloc:location-contacts"])} detail={`${count(st["usrloc:location-users"])} AORs`} />
          <Tile label="Calls up" value={count(st["calls:active_calls"])} detail={`${count(st["calls:connected_calls"])} answered`} />
          <Tile label="Trunks registered" value={`${count(st["accounts:registered"])} / ${count(st["accounts:accounts"])}`} />
          <Tile label="Ports up" value={ports ? `${count(upCount(ports, "up"))} / ${count(Object.keys(ports).length)}` : count(st["ports:ports"])}
                detail={ports ? `${count(upCount(ports, "blocked"))} blocked, ${count(upCount(ports, "down"))} down`
                              : `${count(st["ports:blocked_ports"])} blocked`} />
        </div>
      )}
      <div class="charts">
        <RateChart title="MI calls/s" data={[series.t, series.mi]} />
        <RateChart title="REGISTERs/s" data={[series.t, series.reg]} />
      </div>
      <h2>Recent events</h2>
      {events.length === 0 ? <p class="state empty">No event yet: they appear here as they happen.</p> : (
        <ol class="events">
          {events.map((e) => (
            <li key={e.seq}><time>{clock(e.time)}</time> <code>{e.event}</code> <span>{summary(e.params)}</span></li>
          ))}
        </ol>
      )}
    </section>
  );
}

function upCount(ports, state) {
  return Object.values(ports).filter((s) => s === state).length;
}

/** A one-line reading of an event's params: the first few members as key=value. */
export function summary(params) {
  if (!params || typeof params !== "object") return "";
  return Object.entries(params).slice(0, 4)
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
}
