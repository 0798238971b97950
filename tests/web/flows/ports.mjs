// ports.mjs: the Ports page — two virtual ports and a group (added by the Python side over the
// FIFO) are listed with their groups and free channels; block a port (the badge says blocked and
// the daemon agrees), a port blocked from the daemon's side turns blocked live (E_PORT_STATE, no
// list re-read); unblock; restart with confirmation (the daemon counts it); a hostile port label
// stays text, in the table and in the dialog; read-only users see every control disabled with the
// reason. Both widths, axe-core.
import { URL, axe, flow, go, login, need, ok, shots, until, shows, readOnly } from "../panel.mjs";

const XSS = "<img src=x onerror=alert(1)>";
const row = (n) => `[data-testid="ports-table"] tr[data-port="${n}"]`;
const GROUP = '[data-testid="groups-table"] tr[data-group="isdn"]';
const mainText = (page) => page.locator("main").innerText();
/** Waits until port `n`'s state badge reads `state`. */
const badgeIs = (page, n, state) =>
  until(page, ([sel, s]) => document.querySelector(sel + " td.port-state .badge")?.textContent === s, [row(n), state]);
/** Waits until the isdn group shows `free` free channels. */
const freeIs = (page, free) =>
  until(page, ([sel, f]) => document.querySelector(sel + " td:last-child")?.textContent === f, [GROUP, String(free)]);
const freeText = (page) => page.locator(GROUP + " td:last-child").innerText();

await flow(async ({ page, browser }) => {
  let listReads = 0;
  page.on("request", (r) => {
    if (r.method() === "GET" && r.url().replace(/^https?:\/\/[^/]+/, "").split("?")[0] === "/api/v1/ports") listReads++;
  });

  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Ports");
  await page.getByRole("heading", { name: "Ports and groups" }).waitFor();
  ok(await until(page, () => /live/.test(document.querySelector(".stream")?.textContent || "")),
     "the page's event stream is live", "Live state: live", await page.locator(".stream").innerText());
  ok(await until(page, (sel) => !!document.querySelector(sel), row(2)), "the ports are listed", "rows for ports 1 and 2",
     await mainText(page));
  const ids = await page.locator('[data-testid="ports-table"] tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.port).join(","));
  ok(ids === "1,2", "…both, in port order", "1,2", ids);
  const one = await page.locator(row(1)).locator("td").allInnerTexts();
  ok(one[0] === "virtual" && one[2] === "up" && one[4] === "2" && one[5] === "0" && one[6] === "isdn",
     "port 1: virtual, up, 2 channels, none in use, in group isdn", "virtual | … | up | | 2 | 0 | isdn", one.join(" | "));
  ok(one[1] === XSS, "the hostile label is shown as text", XSS, one[1]);
  ok((await page.locator('img[src="x"]').count()) === 0, "no <img> was injected", 0, await page.locator('img[src="x"]').count());
  ok(await until(page, (sel) => !!document.querySelector(sel), GROUP), "the group isdn is listed", "a row", await mainText(page));
  const g = await page.locator(GROUP).locator("td").allInnerTexts();
  ok(g.join(" | ") === "linear | 1, 2 | 3", "isdn: linear hunting, ports 1, 2, 3 free channels", "linear | 1, 2 | 3", g.join(" | "));

  // Block port 1 from the page.
  await page.getByRole("button", { name: "Block port 1" }).click();
  ok(await badgeIs(page, 1, "blocked"), "Block: port 1's badge says blocked", "blocked",
     await page.locator(row(1) + " td.port-state").innerText());
  ok(/Port 1 blocked: it takes no new calls/.test(await page.locator("main .notice").innerText()), "…the page says so",
     "Port 1 blocked: …", await page.locator("main .notice").innerText());
  let p1 = await need("port", 1);
  ok(p1?.state === "blocked" && p1.blocked === true, "…and the daemon agrees (port_show)", "blocked", JSON.stringify(p1));
  ok(await shows(page.getByRole("button", { name: "Unblock port 1" })), "the button became Unblock port 1");
  ok(await freeIs(page, 1), "the group's free channels follow (3 → 1)", 1, await freeText(page));

  // Port 2 blocked from the daemon's side: the page follows live.
  const reads = listReads;
  ok((await need("block", 2)) === "blocked", "the daemon blocks port 2 (port_block over the FIFO)");
  ok(await badgeIs(page, 2, "blocked"), "port 2's badge turns blocked live", "blocked",
     await page.locator(row(2) + " td.port-state").innerText());
  ok(listReads === reads, "…from the event stream (E_PORT_STATE): the list was not read again", reads, listReads);
  ok(await shows(page.getByRole("button", { name: "Unblock port 2" })), "…and offers Unblock port 2");
  ok(await freeIs(page, 0), "the group's free channels follow (1 → 0)", 0, await freeText(page));

  // Unblock port 1.
  await page.getByRole("button", { name: "Unblock port 1" }).click();
  ok(await badgeIs(page, 1, "up"), "Unblock: port 1 is up again", "up", await page.locator(row(1) + " td.port-state").innerText());
  p1 = await need("port", 1);
  ok(p1?.state === "up" && p1.blocked === false, "…and the daemon agrees", "up, not blocked", JSON.stringify(p1));
  ok(await freeIs(page, 2), "the group's free channels follow (0 → 2)", 2, await freeText(page));

  // Restart port 1: the dialog names it (its label as text); Cancel does nothing.
  await page.getByRole("button", { name: "Restart port 1" }).click();
  const dlg = page.getByRole("dialog");
  ok(await shows(dlg), "restart asks for confirmation", "a dialog", "none");
  const said = await dlg.innerText();
  ok(said.includes(`Restart port 1 (${XSS})?`) && /will be ended/.test(said), "…naming the port, its label as text, and what it ends",
     `Restart port 1 (${XSS})? … will be ended`, said);
  ok((await page.locator('img[src="x"]').count()) === 0, "…with no <img> injected");
  await dlg.getByRole("button", { name: "Cancel" }).click();
  ok(await until(page, () => !document.querySelector("dialog[open]")), "Cancel closes the dialog");
  ok((await need("port", 1))?.restarts === 0, "…and the port was not restarted", 0, JSON.stringify(await need("port", 1)));
  await page.getByRole("button", { name: "Restart port 1" }).click();
  await dlg.getByRole("button", { name: "Restart" }).click();
  ok(await until(page, () => /Port 1 restarted: 0 call\(s\) ended/.test(document.querySelector("main .notice")?.textContent || "")),
     "after confirming, the page says port 1 restarted", "Port 1 restarted: 0 call(s) ended, …", await mainText(page));
  p1 = await need("port", 1);
  ok(p1?.restarts === 1 && p1.state === "up", "the daemon counts the restart and the port is up", "restarts 1, up",
     JSON.stringify(p1));
  ok(await badgeIs(page, 1, "up"), "the page shows port 1 up", "up", await page.locator(row(1) + " td.port-state").innerText());

  await shots(page, "ports");
  await axe(page, "ports");

  // Read-only: the same page without a credential.
  const ro = await readOnly(browser, "Ports");
  await ro.locator(row(2)).waitFor();
  ok((await ro.locator(row(2) + " td.port-state").innerText()) === "blocked", "read-only: the states are shown",
     "blocked", await ro.locator(row(2) + " td.port-state").innerText());
  for (const name of ["Block port 1", "Unblock port 2", "Restart port 1", "Restart port 2"]) {
    const b = ro.getByRole("button", { name, exact: true });
    ok(await b.isDisabled(), `read-only: "${name}" is disabled`, "disabled", "enabled");
    ok(/read-only/.test((await b.getAttribute("title")) || ""), "…with the reason as its tooltip", "read-only …",
       await b.getAttribute("title"));
  }
  await ro.close();
});
