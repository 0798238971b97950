// format.js: how times, durations and counts read on the panel.

export function duration(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "–";
  s = Math.max(0, Math.floor(s));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${r}s`;
  if (m) return `${m}m ${r}s`;
  return `${r}s`;
}

export function when(unix) {
  if (!unix) return "–";
  return new Date(unix * 1000).toLocaleString(undefined, { hour12: false });
}

export function clock(unix) {
  return new Date(unix * 1000).toLocaleTimeString(undefined, { hour12: false });
}

export function count(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString();
}

/** seconds from now until unix time `t` (negative: past). */
export function until(t) {
  return t - Date.now() / 1000;
}
