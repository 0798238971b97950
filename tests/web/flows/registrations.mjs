// registrations.mjs: the Registrations page — empty state; a REGISTER sent by the Python side
// appears live (E_UL_* events, no reload) with its user agent (an XSS attempt) shown as text;
// the expiry counts down; search by AOR prefix; unregister with confirmation; read-only users
// see the button disabled with the reason. Both widths, axe-core.
import { URL, axe, flow, go, login, need, ok, shots, until, shows, readOnly } from "../panel.mjs";

const XSS = "<img src=x onerror=alert(1)>";

await flow(async ({ page, browser }) => {
  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Registrations");
  await page.getByRole("heading", { name: "Registrations" }).waitFor();
  ok(await until(page, () => /Nothing is registered yet/.test(document.querySelector("main").innerText)),
     "empty state: nothing registered yet", "Nothing is registered yet.", await page.locator("main").innerText());
  ok(await until(page, () => /live/.test(document.querySelector(".stream")?.textContent || "")), "the page's event stream is live");

  const st = await need("register", "bob", "example.com", "xss");
  ok(st === 200, "a SIP UA registered bob (User-Agent: an <img onerror> XSS attempt)", 200, st);
  const row = page.locator('tr[data-aor="bob@example.com"]');
  ok(await until(page, () => !!document.querySelector('tr[data-aor="bob@example.com"]')),
     "bob appears without a reload (E_UL_* events)", "a row for bob@example.com", await page.locator("main").innerText());
  ok((await row.innerText()).includes(XSS), "the user agent is shown as text", XSS, await row.innerText());
  ok((await page.locator('img[src="x"]').count()) === 0, "no <img> was injected", 0, await page.locator('img[src="x"]').count());
  const first = await row.locator("td.expires").innerText();
  ok(await until(page, (t) => document.querySelector('tr[data-aor="bob@example.com"] td.expires')?.textContent !== t, first, 4000),
     "the expiry counts down live", "a value other than " + first, await row.locator("td.expires").innerText());

  ok((await need("register", "carol", "example.org", "plain")) === 200, "carol@example.org registered too");
  ok(await until(page, () => !!document.querySelector('tr[data-aor="carol@example.org"]')), "carol appears live");
  await page.getByLabel("AOR starts with").fill("carol@");
  await page.getByRole("button", { name: "Search" }).click();
  ok(await until(page, () => !document.querySelector('tr[data-aor="bob@example.com"]') && !!document.querySelector('tr[data-aor="carol@example.org"]')),
     "search carol@: only carol is listed (server-side prefix)", "carol only", await page.locator("main").innerText());
  await page.getByLabel("AOR starts with").fill("");
  await page.getByRole("button", { name: "Search" }).click();
  await row.waitFor();
  await shots(page, "registrations");
  await axe(page, "registrations");

  // Read-only: the same page without a credential.
  const ro = await readOnly(browser, "Registrations");
  const roButton = ro.getByRole("button", { name: /Unregister sip:bob/ });
  await roButton.waitFor();
  ok(await roButton.isDisabled(), "read-only: Unregister is disabled", "disabled", "enabled");
  ok(/read-only/.test((await roButton.getAttribute("title")) || ""), "…with the reason as its tooltip", "read-only …",
     await roButton.getAttribute("title"));

  const held = await need("registered", "bob@example.com");
  ok(held === 1, "before: the daemon holds bob's binding", 1, held);
  await row.getByRole("button", { name: /Unregister/ }).click();
  const dlg = page.getByRole("dialog");
  ok(await shows(dlg), "unregister asks for confirmation", "a dialog", "none");
  await dlg.getByRole("button", { name: "Unregister" }).click();
  ok(await until(page, () => !document.querySelector('tr[data-aor="bob@example.com"]')),
     "after confirming, bob is gone", "no bob row", await page.locator("main").innerText());
  const left = await need("registered", "bob@example.com");
  ok(left === 0, "…and the daemon has no binding for bob any more (ul_show_contact over the FIFO)", 0, left);
});
