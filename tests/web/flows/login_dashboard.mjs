// login_dashboard.mjs: the strict headers of /, a wrong token refused with the API's words, the
// admin token logging in, the dashboard's tiles from /system and the statistics, the live
// REGISTERs/s chart fed by E_STATISTICS (a REGISTER sent by the Python side shows up), the
// recent events list; log out; both widths; axe-core.
import { URL, axe, flow, login, need, ok, shots, until, shows } from "../panel.mjs";

await flow(async ({ page }) => {
  const r = await page.request.get(URL + "/");
  const h = r.headers();
  ok(r.status() === 200, "GET / serves the panel", 200, r.status());
  ok(/script-src 'self'/.test(h["content-security-policy"] || "") && !/unsafe-inline[^;]*;?/.test((h["content-security-policy"] || "").split("style-src")[0]),
     "its Content-Security-Policy allows scripts from this origin only, none inline", "script-src 'self'", h["content-security-policy"]);
  ok(/frame-ancestors 'none'/.test(h["content-security-policy"] || ""), "frame-ancestors 'none'", "frame-ancestors 'none'", h["content-security-policy"]);
  ok(h["x-content-type-options"] === "nosniff", "X-Content-Type-Options: nosniff", "nosniff", h["x-content-type-options"]);
  ok(h["referrer-policy"] === "no-referrer", "Referrer-Policy: no-referrer", "no-referrer", h["referrer-policy"]);
  const body = await r.text();
  ok(!/<script>(?!\s*<\/script>)/.test(body) && !/ on[a-z]+=/.test(body), "index.html has no inline script or handler", "none", body.slice(0, 300));

  await page.goto(URL + "/");
  await page.getByLabel("Token", { exact: true }).fill("sbt_not-the-right-token-at-all");
  await page.getByRole("button", { name: "Log in" }).click();
  ok(await shows(page.getByRole("alert").filter({ hasText: "wrong user name, password or token" })),
     "a wrong token: the log-in says so", "wrong user name, password or token", await page.locator("body").innerText());
  ok((await page.evaluate(() => document.cookie)) === "", "no cookie is set", "", await page.evaluate(() => document.cookie));

  await login(page, { token: process.env.SB_TOKEN });
  ok(true, "the admin token logs in");
  ok(await shows(page.getByText("admin", { exact: true })), "the top bar shows the admin role");
  const stored = await page.evaluate(() => sessionStorage.getItem("switchboard.credential") || "");
  ok(stored.includes("Bearer"), "the credential is kept in sessionStorage (this tab only), not a cookie", "Bearer …", stored.slice(0, 20));
  ok(await until(page, () => [...document.querySelectorAll(".tile")].some((t) => /Version\s*\d+\.\d+/.test(t.innerText))),
     "the Version tile shows the version (GET /system)", "Version x.y.z", await page.locator("main").innerText());
  ok(await until(page, () => /live/.test(document.querySelector(".stream")?.textContent || "")),
     "the event stream is live", "Live data: live", await page.locator(".stream").innerText());
  // Two samples first (a rate needs a previous one), then the REGISTER lands between two.
  ok(await until(page, () => /now/.test(document.querySelector('[data-testid="rate-REGISTERs/s"]')?.textContent || "")),
     "the charts have their first rate", "now 0.0/s", await page.locator(".charts").innerText());
  const regs = await need("register", "alice", "example.com");
  ok(regs === 200, "a SIP UA registered alice", 200, regs);
  ok(await until(page, () => [...document.querySelectorAll(".tile")].some((t) => /Registrations\s*1\b/.test(t.innerText))),
     "the Registrations tile shows 1 (from the E_STATISTICS samples)", "Registrations 1",
     await page.locator(".tiles").innerText());
  ok(await until(page, () => [...document.querySelectorAll("ol.events li")].some((li) => li.textContent.includes("E_UL_CONTACT_INSERT"))),
     "the recent events list E_UL_CONTACT_INSERT", "E_UL_CONTACT_INSERT", await page.locator("main").innerText());
  ok(await until(page, () => document.querySelectorAll(".chart canvas").length === 2), "two live charts are drawn");
  ok(await until(page, () => /peak [1-9]/.test(document.querySelector('[data-testid="rate-REGISTERs/s"]')?.textContent || "")),
     "the REGISTERs/s chart saw the REGISTER (peak ≥ 1/s)", "peak ≥ 1", await page.locator(".charts").innerText());
  ok((await need("port", "add", "1")) === "ok", "port 1 added (port_add over the FIFO)");
  ok(await until(page, () => [...document.querySelectorAll(".tile")].some((t) => /Ports up\s*1 \/ 1/.test(t.innerText))),
     "the Ports tile shows it up, live (E_PORT_STATE)", "Ports up 1 / 1", await page.locator(".tiles").innerText());
  ok((await need("port", "block", "1")) === "ok", "port 1 blocked from the FIFO");
  ok(await until(page, () => [...document.querySelectorAll(".tile")].some((t) => /Ports up\s*0 \/ 1\s*1 blocked/.test(t.innerText))),
     "…the tile follows: 0 / 1 up, 1 blocked", "Ports up 0 / 1, 1 blocked", await page.locator(".tiles").innerText());
  await shots(page, "dashboard");
  await axe(page, "dashboard");
  await page.getByRole("button", { name: "Log out" }).click();
  ok(await shows(page.getByRole("button", { name: "Log in" })), "log out returns to the log-in");
  ok((await page.evaluate(() => sessionStorage.length)) === 0, "…and forgets the credential", 0, await page.evaluate(() => sessionStorage.length));
  await axe(page, "log-in page");
});
