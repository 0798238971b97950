// subscribers.mjs: the Subscribers page — add one (the two passwords must match), see it
// listed, change its password (the Python side checks the new one with a digest REGISTER),
// delete it with confirmation; hostile names (`<img src=x onerror=alert(1)>`, `"><script>…`)
// are either refused with the API's words or shown as text, never run; read-only users see
// the form disabled with the reason. Both widths, axe-core.
import { URL, axe, flow, go, login, need, ok, shots, until, shows, readOnly } from "../panel.mjs";

async function add(page, user, domain, pw, pw2 = pw) {
  const form = page.locator("form", { has: page.getByRole("heading", { name: "Add a subscriber" }) });
  await form.getByLabel("User name").fill(user);
  await form.getByLabel("Domain").fill(domain);
  await form.getByLabel("Password", { exact: true }).fill(pw);
  await form.getByLabel("Password again").fill(pw2);
  return form;
}

await flow(async ({ page, browser }) => {
  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Subscribers");
  ok(await until(page, () => /No subscriber yet/.test(document.querySelector("main").innerText)), "empty state");

  let form = await add(page, "alice", "example.com", "secret-1", "secret-2");
  ok(await form.getByRole("button", { name: "Add subscriber" }).isDisabled(), "different passwords: Add is disabled");
  ok(await shows(form.getByText("the two passwords differ")), "…and the form says why");
  await form.getByLabel("Password again").fill("secret-1");
  await form.getByRole("button", { name: "Add subscriber" }).click();
  ok(await until(page, () => /Subscriber alice@example.com added/.test(document.querySelector("main").innerText)),
     "adding alice: the page says so", "Subscriber alice@example.com added", await page.locator("main").innerText());
  const table = page.getByTestId("subscribers-table");
  ok(await until(page, () => /alice/.test(document.querySelector('[data-testid="subscribers-table"]')?.innerText || "")),
     "alice is listed");
  ok((await need("register_auth", "alice", "secret-1")) === 200, "alice registers with her password (digest)");

  // Adding her twice: the API's refusal, in its words.
  form = await add(page, "alice", "example.com", "x-1");
  await form.getByRole("button", { name: "Add subscriber" }).click();
  ok(await until(page, () => !!document.querySelector("form.card .error")), "adding alice twice: an error",
     "the API's error", await page.locator("main").innerText());
  ok(/409|exists/i.test(await page.locator("form.card .error").first().innerText()), "…the API's text (conflict)",
     "409 / exists", await page.locator("form.card .error").first().innerText());

  // Hostile names.
  for (const name of ["<img src=x onerror=alert(1)>", '"><script>alert(2)</script>']) {
    form = await add(page, name, "example.com", "pw-xss");
    await form.getByRole("button", { name: "Add subscriber" }).click();
    await until(page, () => !!document.querySelector("form.card .error, .notice"));
    const text = await page.locator("main").innerText();
    const refused = await page.locator("form.card .error").count();
    ok(refused > 0 || text.includes(name), `a subscriber named ${name}: refused with a message or listed as text`,
       "an error or the literal name", text.slice(0, 400));
    ok((await page.locator('img[src="x"]').count()) === 0 && (await page.locator("main script").count()) === 0,
       `${name}: no element injected`, 0, await page.locator('img[src="x"], main script').count());
  }
  await shots(page, "subscribers");
  await axe(page, "subscribers");

  // Change alice's password.
  await table.getByRole("button", { name: "Change password of alice@example.com" }).click();
  const pwForm = page.getByRole("form", { name: "New password for alice@example.com" });
  await pwForm.getByLabel("Password", { exact: true }).fill("secret-new");
  await pwForm.getByLabel("Password again").fill("secret-new");
  await pwForm.getByRole("button", { name: "Change password" }).click();
  ok(await until(page, () => /Password of alice@example.com changed/.test(document.querySelector("main").innerText)),
     "the password change is confirmed", "Password of alice@example.com changed", await page.locator("main").innerText());
  ok((await need("register_auth", "alice", "secret-new")) === 200, "alice registers with the new password");
  ok((await need("register_auth", "alice", "secret-1")) === 401, "…and no longer with the old one", 401);

  // Read-only.
  const ro = await readOnly(browser, "Subscribers");
  const roAdd = ro.getByRole("button", { name: "Add subscriber" });
  await roAdd.waitFor();
  ok(await roAdd.isDisabled(), "read-only: Add subscriber is disabled");
  ok(/read-only/.test((await roAdd.getAttribute("title")) || ""), "…with the reason as its tooltip", "read-only …",
     await roAdd.getAttribute("title"));
  const roDel = ro.getByRole("button", { name: "Delete alice@example.com" });
  ok(await roDel.isDisabled(), "read-only: Delete is disabled");
  await ro.close();

  // Delete with confirmation.
  await table.getByRole("button", { name: "Delete alice@example.com" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  ok(await until(page, () => !/alice@example.com|alice\s+example\.com/.test(document.querySelector('[data-testid="subscribers-table"]')?.innerText || "")),
     "after confirming, alice is gone", "no alice", await page.locator("main").innerText());
  ok((await need("register_auth", "alice", "secret-new")) === 401, "…and can no longer register", 401);
});
