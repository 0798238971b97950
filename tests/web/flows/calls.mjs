// calls.mjs: the Calls & CDRs page — empty states; a call between two scripted SIP UAs (placed
// by the Python side) appears live (E_CALL_STATE, no reload); read-only users see "Hang up"
// disabled with the reason; hanging it up asks for confirmation, and then the daemon has no call
// left and both UAs got a BYE; its CDR is listed as the daemon has it (E_CDR); a time window
// without it shows the empty state; "Download CSV" saves the window's CDRs (parsed here: the
// header, each row as cdr_query gives it, a caller number beginning with + or = prefixed with ').
// Both widths, axe-core.
import { readFileSync } from "node:fs";
import { URL, axe, flow, go, login, need, ok, shots, until, readOnly, shows } from "../panel.mjs";

const COLUMNS = ["cdr", "call", "start", "answer", "end", "duration_s", "source", "caller", "called", "new_caller",
  "new_called", "target", "rule", "sip_code", "cause", "reason", "start_ms", "answer_ms", "end_ms", "duration_ms", "legs"];

/** RFC 4180: rows of cells ("" quoting, CRLF line ends). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(cell); cell = ""; }
    else if (ch === "\r" && text[i + 1] === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; i++; }
    else cell += ch;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** What a CSV cell should hold for a text value: formula-looking text gets a leading '. */
const guarded = (s) => (/^[=+\-@\t\r]/.test(s) ? "'" + s : s);
const iso = (ms) => (ms ? new Date(ms).toISOString() : "");

/** The CDR table as rows of cell texts. */
const cdrRows = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="cdrs-table"] tbody tr')]
  .map((tr) => [...tr.cells].map((td) => td.innerText.trim())));

await flow(async ({ page, browser }) => {
  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Calls & CDRs");
  await page.getByRole("heading", { name: "Calls & CDRs" }).waitFor();
  ok(await until(page, () => /No call in progress/.test(document.querySelector("main").innerText)),
     "empty state: no call in progress", "No call in progress.", await page.locator("main").innerText());
  ok(await until(page, () => /No CDR in this window/.test(document.querySelector("main").innerText)),
     "empty state: no CDR in the last 24 hours", "No CDR in this window.", await page.locator("main").innerText());
  ok(await until(page, () => /live/.test(document.querySelector(".stream")?.textContent || "")), "the page's event stream is live");

  // A call: +15551234 (a scripted UA) calls 200, routed to bob (another scripted UA), who answers.
  const placed = await need("place", "plus");
  ok(placed.status === 200 && Number.isInteger(placed.call), "+15551234 calls 200 and bob answers (200 OK)",
     "200 and a call id", JSON.stringify(placed));
  const id = placed.call;
  const row = page.locator(`tr[data-call="${id}"]`);
  ok(await until(page, (i) => !!document.querySelector(`tr[data-call="${i}"]`), id),
     "the call appears without a reload (E_CALL_STATE)", `a row for call ${id}`, await page.locator("main").innerText());
  ok(await until(page, (i) => /answered/.test(document.querySelector(`tr[data-call="${i}"]`)?.innerText || ""), id),
     "…as answered", "answered", await row.innerText());
  const cells = await row.locator("td").allInnerTexts();
  ok(cells[3] === "+15551234" && cells[4] === "200" && cells[6] === "user:bob@example.com",
     "…with its caller, called number and target (user:bob@example.com)", "+15551234 / 200 / user:bob@example.com",
     JSON.stringify(cells));
  ok(/1 call in progress|\(1\)/.test(await page.getByRole("heading", { name: /Calls in progress/ }).innerText()),
     "the heading counts 1 call", "Calls in progress (1)", await page.getByRole("heading", { name: /Calls in progress/ }).innerText());
  ok((await need("calls", 1)) === 1, "the daemon has the call up (call_list)", 1);

  // Read-only: the same page without a credential.
  const ro = await readOnly(browser, "Calls & CDRs");
  const roHang = ro.getByRole("button", { name: `Hang up call ${id}` });
  await roHang.waitFor();
  ok(await roHang.isDisabled(), "read-only: Hang up is disabled", "disabled", "enabled");
  ok(/read-only/.test((await roHang.getAttribute("title")) || ""), "…with the reason as its tooltip", "read-only …",
     await roHang.getAttribute("title"));
  ok(await ro.getByRole("button", { name: "Download CSV" }).isEnabled(), "read-only: Download CSV stays enabled");
  await ro.close();

  // Hang up, with confirmation: Cancel first leaves the call up.
  await row.getByRole("button", { name: `Hang up call ${id}` }).click();
  const dlg = page.getByRole("dialog");
  await dlg.waitFor();
  await dlg.getByRole("button", { name: "Cancel" }).click();
  await dlg.waitFor({ state: "hidden" });
  ok((await need("calls", 1)) === 1 && (await row.count()) === 1, "Cancel in the confirmation: the call stays up", 1);
  await row.getByRole("button", { name: `Hang up call ${id}` }).click();
  ok(await shows(dlg), "hang up asks for confirmation", "a dialog", "none");
  const question = await dlg.innerText();
  ok(question.includes(`Hang up call ${id} (+15551234 → 200, answered)?`), "…naming the call, its numbers and state",
     `Hang up call ${id} (+15551234 → 200, answered)?`, question);
  await dlg.getByRole("button", { name: "Hang up" }).click();
  ok(await until(page, (i) => new RegExp(`Call ${i} hung up \\(it was answered\\)`).test(document.querySelector("main").innerText), id),
     "after confirming, the page says the call was hung up", `Call ${id} hung up (it was answered).`,
     await page.locator("main").innerText());
  ok(await until(page, (i) => !document.querySelector(`tr[data-call="${i}"]`) && /No call in progress/.test(document.querySelector("main").innerText), id),
     "…and the call is gone from the table", "No call in progress.", await page.locator("main").innerText());
  ok((await need("calls", 0)) === 0, "the daemon has no call left (call_list)", 0);
  const bye = await need("byes", "plus");
  ok(bye.callee === 1 && bye.caller === 1, "both UAs got a BYE from the daemon (both sides released)",
     "{callee: 1, caller: 1}", JSON.stringify(bye));

  // Its CDR, as cdr_query has it.
  let daemon = await need("cdrs");
  const cdr = Array.isArray(daemon) ? daemon.find((c) => c.call === id) : null;
  ok(!!cdr && cdr.answer_ms > 0 && cdr.end_ms >= cdr.answer_ms && cdr.reason === "finished by the operator",
     "the daemon wrote the call's CDR: answered, ended by the operator", "a CDR for call " + id, JSON.stringify(daemon));
  ok(await until(page, (i) => [...document.querySelectorAll('[data-testid="cdrs-table"] tbody tr')]
    .some((tr) => tr.cells[1]?.innerText.trim() === String(i)), id),
     "the CDR appears in the CDR table without a reload (E_CDR)", `a row for call ${id}`, await page.locator("main").innerText());
  let shown = (await cdrRows(page)).find((r) => r[1] === String(id)) || [];
  ok(shown[3] === "+15551234" && shown[4] === "200" && shown[6] === "user:bob@example.com" && shown[7] === "answered"
     && shown[9] === "200" && shown[10] === String(cdr?.cause) && shown[11] === "finished by the operator",
     "…with the daemon's caller, called, target, outcome, SIP status, cause and reason",
     `+15551234 200 user:bob@example.com answered 200 ${cdr?.cause} finished by the operator`, JSON.stringify(shown));

  // A second call: =1+2 (a number a spreadsheet takes for a formula) calls 999, which has no route.
  const second = await need("place", "formula");
  ok(second.status === 404, "=1+2 calls 999: 404 No Route", 404, JSON.stringify(second));
  ok(await until(page, () => [...document.querySelectorAll('[data-testid="cdrs-table"] tbody tr')]
    .some((tr) => tr.cells[3]?.innerText.trim() === "=1+2")),
     "its CDR appears too", "a row with caller =1+2", await page.locator("main").innerText());
  shown = (await cdrRows(page)).find((r) => r[3] === "=1+2") || [];
  ok(shown[7] === "not answered" && shown[9] === "404", "…not answered, SIP 404", "not answered / 404", JSON.stringify(shown));
  daemon = await need("cdrs");
  ok(Array.isArray(daemon) && daemon.length === 2, "the daemon has 2 CDRs", 2, JSON.stringify(daemon));
  ok((await cdrRows(page)).length === 2, "the table lists 2", 2, JSON.stringify(await cdrRows(page)));

  // A window that excludes them: two days ago to one day ago.
  const win = await page.evaluate(() => {
    const p = (n) => String(n).padStart(2, "0");
    const local = (d) => `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    const a = new Date(Date.now() - 2 * 86400000), b = new Date(Date.now() - 86400000);
    return { from: local(a), to: local(b), fromUnix: Math.floor(a.getTime() / 1000), toUnix: Math.floor(b.getTime() / 1000) };
  });
  const fromField = page.getByLabel("From (local time)");
  const toField = page.getByLabel("To (local time, excluded; empty: now)");
  await fromField.fill(win.to);
  await toField.fill(win.from);
  await page.getByRole("button", { name: "Show CDRs" }).click();
  ok(await shows(page.getByRole("alert").filter({ hasText: "The start must be before the end." })),
     "a window that ends before it starts is refused by the form", "The start must be before the end.",
     await page.locator("main").innerText());
  await fromField.fill(win.from);
  await toField.fill(win.to);
  await page.getByRole("button", { name: "Show CDRs" }).click();
  ok(await until(page, () => /No CDR in this window/.test(document.querySelector("main").innerText)),
     "a window of yesterday and the day before: the empty state", "No CDR in this window.", await page.locator("main").innerText());
  const old = await need("cdrs", win.fromUnix, win.toUnix);
  ok(Array.isArray(old) && old.length === 0, "…and cdr_query agrees: no CDR in that window", 0, JSON.stringify(old));
  await page.getByRole("button", { name: "Last 24 hours" }).click();
  ok(await until(page, () => document.querySelectorAll('[data-testid="cdrs-table"] tbody tr').length === 2),
     "Last 24 hours: both CDRs again", 2, await page.locator("main").innerText());

  // The CSV of the window.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const name = download.suggestedFilename();
  ok(/^cdrs-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-to-now\.csv$/.test(name), "Download CSV saves cdrs-<from>-to-now.csv",
     "cdrs-YYYY-MM-DD-hh-mm-ss-to-now.csv", name);
  const rows = parseCsv(readFileSync(await download.path(), "utf8"));
  ok(JSON.stringify(rows[0]) === JSON.stringify(COLUMNS), "the CSV header names every column", COLUMNS.join(","), (rows[0] || []).join(","));
  ok(rows.length === 1 + daemon.length && rows.slice(1).every((r) => r.length === COLUMNS.length),
     "one CSV row per CDR of the daemon, each with every column", 1 + daemon.length, JSON.stringify(rows));
  ok(await until(page, (n) => document.querySelector("main").innerText.includes(`Saved 2 CDRs as ${n}`), name),
     "the page says how many CDRs it saved", `Saved 2 CDRs as ${name}.`, await page.locator("main").innerText());
  const col = Object.fromEntries(COLUMNS.map((c, i) => [c, i]));
  for (const c of daemon) {
    const r = rows.find((x) => x[col.cdr] === String(c.cdr)) || [];
    const want = {
      call: String(c.call), start: iso(c.start_ms), answer: iso(c.answer_ms), end: iso(c.end_ms),
      duration_s: String(c.duration_ms / 1000), source: guarded(c.source), caller: guarded(c.caller), called: guarded(c.called),
      new_caller: guarded(c.new_caller), target: guarded(c.target), sip_code: String(c.sip_code), cause: String(c.cause),
      reason: guarded(c.reason), start_ms: String(c.start_ms), duration_ms: String(c.duration_ms),
      legs: c.legs.length ? JSON.stringify(c.legs) : "",
    };
    const got = Object.fromEntries(Object.keys(want).map((k) => [k, r[col[k]]]));
    ok(JSON.stringify(got) === JSON.stringify(want), `CSV row of CDR ${c.cdr} (call ${c.call}) matches cdr_query`,
       JSON.stringify(want), JSON.stringify(got));
  }
  const plus = rows.find((r) => r[col.call] === String(id)) || [];
  ok(plus[col.caller] === "'+15551234" && plus[col.new_caller] === "'+15551234",
     "a caller beginning with + gets the ' prefix (no spreadsheet formula)", "'+15551234", plus[col.caller]);
  const formula = rows.find((r) => r[col.sip_code] === "404") || [];
  ok(formula[col.caller] === "'=1+2", "a caller beginning with = gets the ' prefix", "'=1+2", formula[col.caller]);
  ok(formula[col.called] === "999", "…and a plain number none", "999", formula[col.called]);

  await shots(page, "calls");
  await axe(page, "calls");
});
