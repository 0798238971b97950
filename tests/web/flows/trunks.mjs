// trunks.mjs: the Trunks page — empty state; add a trunk (a bad name gets the API's own message
// next to the Name field), it is listed; its registration against a second daemon (the Python
// side's registrar) fails, then turns "registered" live (E_ACCOUNT_REG_STATE, no list re-read)
// once the registrar knows it; edit (the secret is never filled in; left empty, it is kept: the
// trunk still registers); Register now; a hostile display name stays text; read-only users see
// every control disabled with the reason; delete with confirmation (the registrar's binding goes
// too). Both widths, axe-core.
import { URL, axe, flow, go, login, need, ok, shots, until, shows, readOnly } from "../panel.mjs";

const XSS = "<img src=x onerror=alert(1)>";
const PEER = process.env.SB_REGISTRAR;  // host:port of the registrar daemon
const NAME = "carrier-1";
const AOR = "gw@example.com";
const ROW = `[data-testid="trunks-table"] tr[data-name="${NAME}"]`;

/** Waits until the state badge of the trunk reads `state`. */
const badgeIs = (page, state, ms) =>
  until(page, ([sel, s]) => document.querySelector(sel + " td.reg-state .badge")?.textContent === s, [ROW, state], ms);
const mainText = (page) => page.locator("main").innerText();

await flow(async ({ page, browser }) => {
  // Every read of the list (GET /accounts) and every PATCH body, to tell live updates from re-reads.
  let listReads = 0;
  const patches = [];
  page.on("request", (r) => {
    const path = r.url().replace(/^https?:\/\/[^/]+/, "").split("?")[0];
    if (r.method() === "GET" && path === "/api/v1/accounts") listReads++;
    if (r.method() === "PATCH" && path.startsWith("/api/v1/accounts/")) patches.push(r.postDataJSON());
  });

  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Trunks");
  await page.getByRole("heading", { name: "Trunks (SIP accounts)" }).waitFor();
  ok(await until(page, () => /No trunk yet/.test(document.querySelector("main").innerText)), "empty state: no trunk yet",
     "No trunk yet", await mainText(page));
  ok(await until(page, () => /live/.test(document.querySelector(".stream")?.textContent || "")),
     "the page's event stream is live", "Live state: live", await page.locator(".stream").innerText());

  // Add: first with a name the API refuses.
  await page.getByRole("button", { name: "Add a trunk" }).click();
  const form = page.getByTestId("add-trunk-form");
  await form.getByLabel("Name", { exact: true }).fill("bad name!");
  await form.getByLabel("Address", { exact: true }).fill(PEER);
  await form.getByLabel("User name", { exact: true }).fill("gw");
  await form.getByLabel("Secret", { exact: true }).fill("trunk-pw");
  await form.getByLabel("Display name", { exact: true }).fill(XSS);
  await form.getByLabel("Domain", { exact: true }).fill("example.com");
  await form.getByRole("button", { name: "Add trunk" }).click();
  const nameErr = page.locator("#f-add-name-err");
  ok(await until(page, () => !!document.querySelector("#f-add-name-err")), "a bad name: a message next to the Name field",
     "#f-add-name-err", await form.innerText());
  // What the API itself says about that name (nothing is added: the name is refused).
  const refused = await page.request.post(URL + "/api/v1/accounts", {
    headers: { Authorization: "Bearer " + process.env.SB_TOKEN },
    data: { name: "bad name!", address: PEER, username: "gw", secret: "x" } });
  const apiMsg = ((await refused.json()).errors || []).find((e) => e.pointer === "/name")?.detail;
  ok(refused.status() === 422 && !!apiMsg, "the API refuses the name with a message for /name", "422 + /name",
     refused.status() + " " + apiMsg);
  ok((await nameErr.innerText()) === apiMsg, "…and the page shows the API's own words", apiMsg, await nameErr.innerText());
  const nameInput = form.getByLabel("Name", { exact: true });
  ok((await nameInput.getAttribute("aria-invalid")) === "true" &&
     (await nameInput.getAttribute("aria-describedby")) === "f-add-name-err",
     "the Name input is marked invalid and described by the message", "aria-invalid + aria-describedby",
     `${await nameInput.getAttribute("aria-invalid")} ${await nameInput.getAttribute("aria-describedby")}`);
  ok(JSON.stringify(await need("accounts")) === "[]", "the daemon has no account after the refusal", "[]",
     JSON.stringify(await need("accounts")));

  await form.getByLabel("Name", { exact: true }).fill(NAME);
  await form.getByRole("button", { name: "Add trunk" }).click();
  ok(await until(page, (n) => new RegExp(`Trunk ${n} added`).test(document.querySelector("main .notice")?.textContent || ""), NAME),
     "adding carrier-1: the page says so", `Trunk ${NAME} added`, await mainText(page));
  const row = page.locator(ROW);
  ok(await until(page, (sel) => !!document.querySelector(sel), ROW), "carrier-1 is listed", "a row", await mainText(page));
  ok(await form.waitFor({ state: "hidden", timeout: 5000 }).then(() => true, () => false), "the add form closed");
  const cells = await row.locator("td").allInnerTexts();
  ok(cells[0] === PEER && cells[2] === "gw" && cells[3] === "set" && cells[4] === "on, 3600 s",
     "the row shows its address, user name, secret set (not its value), register on",
     `${PEER} | gw | set | on, 3600 s`, cells.join(" | "));
  ok(!(await row.innerText()).includes("trunk-pw"), "the secret itself is shown nowhere in the row");

  // The registrar does not know gw yet: the REGISTER is refused.
  ok(await badgeIs(page, "failed"), "the registrar refuses gw: the state badge says failed",
     "failed", await row.locator("td.reg-state").innerText());
  let acc = await need("account", NAME);
  ok(acc?.state === "failed", "…and so does the daemon (account_show)", "failed", JSON.stringify(acc));
  ok(await until(page, ([sel, e]) => document.querySelector(sel + " td.reg-error")?.textContent === e, [ROW, acc?.last_error]),
     "the row's last error is the daemon's", acc?.last_error, await row.locator("td.reg-error").innerText());

  // Live: the registrar learns gw, the Python side re-registers the trunk (not through the page).
  const reads = listReads;
  ok((await need("subscriber_add", "gw", "trunk-pw")) === "OK", "the registrar now has gw@example.com");
  const st = await need("refresh", NAME);
  ok(st === "registering", "the daemon re-registers carrier-1 (reg_refresh over the FIFO)", "registering", st);
  ok(await badgeIs(page, "registered"), "the badge turns registered live",
     "registered", await row.locator("td.reg-state").innerText());
  ok(listReads === reads, "…from the event stream (E_ACCOUNT_REG_STATE): the list was not read again", reads, listReads);
  ok((await row.locator("td.reg-error").innerText()) === "none", "…and the last error is cleared", "none",
     await row.locator("td.reg-error").innerText());
  acc = await need("account", NAME);
  ok(acc?.state === "registered", "the daemon agrees: registered", "registered", JSON.stringify(acc));
  let bound = await need("binding", AOR);
  ok(bound?.contacts === 1 && bound.expires > 600, "the registrar holds gw's binding (3600 s)", "1 contact, > 600 s",
     JSON.stringify(bound));

  // The hostile display name: stored as given, shown as text.
  ok(acc?.displayname === XSS, "the display name reached the daemon as typed", XSS, acc?.displayname);
  ok((await page.locator('img[src="x"]').count()) === 0, "no <img> was injected", 0, await page.locator('img[src="x"]').count());

  // Edit: the secret is never filled in; left empty, it is kept.
  await page.getByRole("button", { name: `Edit trunk ${NAME}` }).click();
  const edit = page.getByTestId("edit-trunk-form");
  await edit.waitFor();
  const secret = edit.getByLabel("Secret", { exact: true });
  ok((await secret.inputValue()) === "" && (await secret.getAttribute("type")) === "password",
     "edit: the secret field is empty (never filled from the API) and masked", "'' / password",
     `${JSON.stringify(await secret.inputValue())} / ${await secret.getAttribute("type")}`);
  ok(await shows(edit.getByText("Currently set; leave empty to keep it.")), "…and says a secret is set and kept if left empty");
  ok((await edit.getByLabel("Display name", { exact: true }).inputValue()) === XSS, "edit: the display name is the literal text",
     XSS, await edit.getByLabel("Display name", { exact: true }).inputValue());
  ok((await page.locator('img[src="x"]').count()) === 0, "…and no <img> was injected by the form");
  await edit.getByLabel("Expires (s)", { exact: true }).fill("30");
  await edit.getByRole("button", { name: "Save trunk" }).click();
  ok(await until(page, () => !!document.querySelector("#f-edit-expires-err")), "expires 30: the API's message next to Expires",
     "#f-edit-expires-err", await edit.innerText());
  const tooShort = await page.request.patch(URL + "/api/v1/accounts/" + NAME, {
    headers: { Authorization: "Bearer " + process.env.SB_TOKEN, "If-Match": "*" }, data: { expires: 30 } });
  const expMsg = ((await tooShort.json()).errors || []).find((e) => e.pointer === "/expires")?.detail;
  ok(tooShort.status() === 422 && (await page.locator("#f-edit-expires-err").innerText()) === expMsg,
     "…in the API's own words (422, /expires)", `422 ${expMsg}`,
     `${tooShort.status()} ${await page.locator("#f-edit-expires-err").innerText()}`);
  await edit.getByLabel("Expires (s)", { exact: true }).fill("600");
  await edit.getByRole("button", { name: "Save trunk" }).click();
  ok(await until(page, (n) => new RegExp(`Trunk ${n} saved`).test(document.querySelector("main .notice")?.textContent || ""), NAME),
     "saving: the page says so", `Trunk ${NAME} saved`, await mainText(page));
  const sent = patches[patches.length - 1] || {};
  ok(JSON.stringify(sent) === '{"expires":600}', "the PATCH carried only the changed field (no secret)", '{"expires":600}',
     JSON.stringify(sent));
  ok(await until(page, (sel) => document.querySelector(sel + " td:nth-of-type(5)")?.textContent === "on, 600 s", ROW),
     "the row shows the new expiry", "on, 600 s", await row.innerText());
  ok(await badgeIs(page, "registered"), "the trunk registers again after the change", "registered",
     await row.locator("td.reg-state").innerText());
  acc = await need("account", NAME);
  ok(acc?.has_secret === true && acc.expires === 600 && acc.state === "registered",
     "the daemon kept the secret (and registered with it) and has expires 600", "secret, 600, registered", JSON.stringify(acc));
  bound = await need("binding", AOR);
  ok(bound?.contacts === 1 && bound.expires > 0 && bound.expires <= 600,
     "the registrar's binding was renewed with the kept secret (600 s)", "1 contact, <= 600 s", JSON.stringify(bound));

  // Register now.
  const sentBefore = await need("sent");
  await page.getByRole("button", { name: `Register now: trunk ${NAME}` }).click();
  ok(await until(page, (n) => new RegExp(`Registration of ${n} restarted`).test(document.querySelector("main .notice")?.textContent || ""), NAME),
     "Register now: the page says the registration restarted", "Registration of carrier-1 restarted", await mainText(page));
  ok(await badgeIs(page, "registered"), "…and the badge comes back to registered", "registered",
     await row.locator("td.reg-state").innerText());
  const sentAfter = await need("sent");
  ok(sentAfter > sentBefore, "the daemon sent new REGISTERs (accounts:reg_sent)", `> ${sentBefore}`, sentAfter);
  const again = await need("binding", AOR);
  ok(again?.contacts === 1 && again.cseq > bound.cseq, "the registrar saw the new REGISTER (its CSeq grew)",
     `> ${bound?.cseq}`, JSON.stringify(again));

  await shots(page, "trunks");
  await axe(page, "trunks");

  // Read-only: the same page without a credential.
  const ro = await readOnly(browser, "Trunks");
  await ro.locator(ROW).waitFor();
  ok((await ro.locator(ROW + " td.reg-state").innerText()) === "registered", "read-only: the state is shown",
     "registered", await ro.locator(ROW + " td.reg-state").innerText());
  for (const name of ["Add a trunk", `Edit trunk ${NAME}`, `Register now: trunk ${NAME}`, `Delete trunk ${NAME}`]) {
    const b = ro.getByRole("button", { name });
    ok(await b.isDisabled(), `read-only: "${name}" is disabled`, "disabled", "enabled");
    ok(/read-only/.test((await b.getAttribute("title")) || ""), `…with the reason as its tooltip`, "read-only …",
       await b.getAttribute("title"));
  }
  await ro.close();

  // Delete: cancelling keeps it; confirming removes it (and its registration).
  await page.getByRole("button", { name: `Delete trunk ${NAME}` }).click();
  const dlg = page.getByRole("dialog");
  ok(await shows(dlg), "delete asks for confirmation", "a dialog", "none");
  ok((await dlg.innerText()).includes(`Delete the trunk ${NAME}?`), "…naming the trunk", NAME, await dlg.innerText());
  await dlg.getByRole("button", { name: "Cancel" }).click();
  ok(await until(page, () => !document.querySelector("dialog[open]")), "Cancel closes the dialog");
  ok((await row.count()) === 1 && (await need("account", NAME)) !== null, "…and the trunk is still there (page and daemon)");
  await page.getByRole("button", { name: `Delete trunk ${NAME}` }).click();
  await dlg.getByRole("button", { name: "Delete" }).click();
  ok(await until(page, (sel) => !document.querySelector(sel), ROW), "after confirming, carrier-1 is gone", "no row",
     await mainText(page));
  ok(await until(page, () => /No trunk yet/.test(document.querySelector("main").innerText)), "the empty state is back");
  ok((await need("account", NAME)) === null, "the daemon no longer has the account", null,
     JSON.stringify(await need("account", NAME)));
  const gone = await need("binding", AOR);
  ok(gone?.contacts === 0, "the registration was removed at the registrar first (Expires: 0)", 0, JSON.stringify(gone));
});
