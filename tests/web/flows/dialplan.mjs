// dialplan.mjs: the Dialplan page — empty state; add a rule (a regex that does not compile gets
// the API's message, located by its JSON Pointer, next to its field), add a second; move them up
// and down (the table's order and the daemon's, through dp_list); the test-a-number box names the
// matched rule and the rewritten number, and says when no rule matches; a hostile comment stays
// text; read-only users can still test a number but not change anything (the reason in the
// tooltip); delete with confirmation. Both widths, axe-core.
import { URL, axe, flow, go, login, need, ok, shots, until, shows, readOnly } from "../panel.mjs";

const XSS = '"><script>alert(2)</script>';
const TABLE = '[data-testid="rules-table"]';
const RESULT = '[data-testid="dp-test-result"]';
const mainText = (page) => page.locator("main").innerText();

/** The rule ids in the table, top to bottom ("3,1"). */
const order = (page) => page.evaluate((t) => [...document.querySelectorAll(t + " tbody tr")].map((r) => r.dataset.ruleId).join(","), TABLE);
/** The rule ids in the daemon's evaluation order. */
const daemonOrder = async () => {
  const r = await need("rules");
  return Array.isArray(r) ? r.map((x) => x.id).join(",") : JSON.stringify(r);
};

/** Fills the add form's fields (label → value) and submits it. */
async function addRule(page, fields) {
  const form = page.getByTestId("add-rule-form");
  if (!(await form.isVisible())) await page.getByRole("button", { name: "Add a rule" }).click();
  for (const [label, value] of Object.entries(fields)) await form.getByLabel(label, { exact: true }).fill(value);
  await form.getByRole("button", { name: "Add rule" }).click();
  return form;
}

/** Asks the test box about `number`; waits for a new answer (a new element: the old one is
 *  removed when the question is sent); returns its text. */
async function test(page, number) {
  const box = page.getByTestId("dp-test");
  await page.evaluate((sel) => { window.__previousAnswer = document.querySelector(sel); }, RESULT);
  await box.getByLabel("Called number", { exact: true }).fill(number);
  await box.getByRole("button", { name: "Test number" }).click();
  ok(await until(page, (sel) => { const r = document.querySelector(sel); return !!r && r !== window.__previousAnswer; }, RESULT),
     `the test box answers about ${number}`, "a new answer", await box.innerText());
  return page.locator(RESULT).innerText();
}

await flow(async ({ page, browser }) => {
  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Dialplan");
  await page.getByRole("heading", { name: "Dialplan", exact: true }).waitFor();
  ok(await until(page, () => /No rule yet/.test(document.querySelector("main").innerText)), "empty state: no rule yet",
     "No rule yet", await mainText(page));
  let text = await test(page, "0301234");
  ok(/No rule matches\s+0301234/.test(text), "with no rule, the test box says no rule matches", "No rule matches 0301234", text);

  // A regex that does not compile: the API's message, at the field its pointer names.
  const bad = { src: "any", dest_match: "^0(", dest_rewrite: "49\\1", target: "account:carrier-1", comment: XSS };
  const form = await addRule(page, { "Called number match": bad.dest_match, "Called number rewrite": bad.dest_rewrite,
                                     "Target": bad.target, "Comment": bad.comment });
  ok(await until(page, () => !!document.querySelector("#f-add-dest_match-err")),
     "a bad regex: a message next to the Called number match field", "#f-add-dest_match-err", await form.innerText());
  const refused = await page.request.post(URL + "/api/v1/dialplan/rules", {
    headers: { Authorization: "Bearer " + process.env.SB_TOKEN }, data: bad });
  const apiMsg = ((await refused.json()).errors || []).find((e) => e.pointer === "/dest_match")?.detail;
  ok(refused.status() === 422 && !!apiMsg, "the API refuses it with a message for /dest_match", "422 + /dest_match",
     refused.status() + " " + apiMsg);
  ok((await page.locator("#f-add-dest_match-err").innerText()) === apiMsg, "…and the page shows the API's own words", apiMsg,
     await page.locator("#f-add-dest_match-err").innerText());
  ok((await form.getByLabel("Called number match", { exact: true }).getAttribute("aria-invalid")) === "true",
     "the field is marked invalid");
  ok((await form.locator(".field-error").count()) === 1, "…and no other field is", 1, await form.locator(".field-error").allInnerTexts());
  ok((await daemonOrder()) === "", "the daemon has no rule after the refusal", "", await daemonOrder());

  // Two rules.
  await form.getByLabel("Called number match", { exact: true }).fill("^0(\\d+)$");
  await form.getByRole("button", { name: "Add rule" }).click();
  ok(await until(page, () => /Rule added at position 1/.test(document.querySelector("main .notice")?.textContent || "")),
     "the first rule is added at position 1", "Rule added at position 1", await mainText(page));
  await addRule(page, { "Called number match": "^0301(\\d*)$", "Called number rewrite": "\\1", "Target": "group:isdn",
                        "Comment": "second" });
  ok(await until(page, () => /Rule added at position 2/.test(document.querySelector("main .notice")?.textContent || "")),
     "the second is added at position 2 (empty position = last)", "Rule added at position 2", await mainText(page));
  const rules = await need("rules");
  const [a, b] = Array.isArray(rules) ? rules.map((r) => r.id) : [];
  ok(rules?.length === 2 && rules[0].comment === XSS && rules[1].comment === "second",
     "the daemon has both, in that order, the comment as typed", `[${XSS}, second]`, JSON.stringify(rules));
  ok((await order(page)) === `${a},${b}`, "the table lists them in that order", `${a},${b}`, await order(page));
  const rowA = page.locator(`${TABLE} tr[data-rule-id="${a}"]`);
  ok((await rowA.locator("td").nth(6).innerText()) === XSS, "the hostile comment is shown as text", XSS,
     await rowA.locator("td").nth(6).innerText());
  ok((await page.locator("main script").count()) === 0, "no <script> was injected", 0, await page.locator("main script").count());
  ok((await rowA.locator("td").nth(2).innerText()) === "^0(\\d+)$ → 49\\1", "the called number cell shows match → rewrite",
     "^0(\\d+)$ → 49\\1", await rowA.locator("td").nth(2).innerText());

  // Test a number: the first rule matches, its rewrite applied.
  text = await test(page, "0301234");
  ok(new RegExp(`Matched rule at position 1 \\(id ${a}\\)`).test(text), "0301234 matches rule 1 (the first match wins)",
     `Matched rule at position 1 (id ${a})`, text);
  ok((await page.getByTestId("dp-test-called").innerText()) === "49301234", "…rewritten to 49301234", "49301234",
     await page.getByTestId("dp-test-called").innerText());
  ok((await page.getByTestId("dp-test-target").innerText()) === "account:carrier-1", "…to account:carrier-1",
     "account:carrier-1", await page.getByTestId("dp-test-target").innerText());
  ok((await rowA.getAttribute("aria-current")) === "true", "the matched rule is marked in the table", "aria-current=true",
     await rowA.getAttribute("aria-current"));
  text = await test(page, "12345");
  ok(/No rule matches\s+12345/.test(text), "12345 matches no rule", "No rule matches 12345", text);
  ok((await page.locator(`${TABLE} tr[aria-current]`).count()) === 0, "…and no rule is marked", 0,
     await page.locator(`${TABLE} tr[aria-current]`).count());
  await test(page, "0301234");

  // Move the second rule up: the table and the daemon agree; the last answer is marked stale.
  await page.getByRole("button", { name: `Move rule 2 (id ${b}) up` }).click();
  ok(await until(page, ([t, want]) => [...document.querySelectorAll(t + " tbody tr")].map((r) => r.dataset.ruleId).join(",") === want,
                 [TABLE, `${b},${a}`]),
     "moved up: the table's order changed", `${b},${a}`, await order(page));
  ok((await daemonOrder()) === `${b},${a}`, "…and the daemon's (dp_list)", `${b},${a}`, await daemonOrder());
  ok(/Rule id \d+ moved to position 1/.test(await page.locator("main .notice").innerText()), "the page says where it moved",
     "Rule id … moved to position 1", await page.locator("main .notice").innerText());
  ok(await until(page, (sel) => !!document.querySelector(sel + ".stale"), RESULT), "the last test answer is marked stale",
     "a stale note", await page.locator(RESULT).innerText());
  text = await test(page, "0301234");
  ok(new RegExp(`Matched rule at position 1 \\(id ${b}\\)`).test(text), "0301234 now matches the moved rule",
     `Matched rule at position 1 (id ${b})`, text);
  ok((await page.getByTestId("dp-test-called").innerText()) === "234" &&
     (await page.getByTestId("dp-test-target").innerText()) === "group:isdn",
     "…rewritten to 234, to group:isdn", "234 / group:isdn",
     `${await page.getByTestId("dp-test-called").innerText()} / ${await page.getByTestId("dp-test-target").innerText()}`);

  // …and down again.
  await page.getByRole("button", { name: `Move rule 1 (id ${b}) down` }).click();
  ok(await until(page, ([t, want]) => [...document.querySelectorAll(t + " tbody tr")].map((r) => r.dataset.ruleId).join(",") === want,
                 [TABLE, `${a},${b}`]),
     "moved down: the table's order is back", `${a},${b}`, await order(page));
  ok((await daemonOrder()) === `${a},${b}`, "…and the daemon's too", `${a},${b}`, await daemonOrder());
  ok(await page.getByRole("button", { name: `Move rule 1 (id ${a}) up` }).isDisabled() &&
     await page.getByRole("button", { name: `Move rule 2 (id ${b}) down` }).isDisabled(),
     "the first rule cannot move up, the last cannot move down");

  await shots(page, "dialplan");
  await axe(page, "dialplan");

  // Read-only: the test box works; nothing can be changed.
  const ro = await readOnly(browser, "Dialplan");
  await ro.locator(`${TABLE} tr[data-rule-id="${b}"]`).waitFor();
  text = await test(ro, "0301234");
  ok(new RegExp(`Matched rule at position 1 \\(id ${a}\\)`).test(text) &&
     (await ro.getByTestId("dp-test-called").innerText()) === "49301234",
     "read-only: the test box still answers (rule 1, 49301234)", `Matched rule at position 1 (id ${a}) → 49301234`, text);
  for (const name of ["Add a rule", "Reload from the database", `Move rule 2 (id ${b}) up`, `Move rule 1 (id ${a}) down`,
                      `Edit rule 1 (id ${a})`, `Delete rule 2 (id ${b})`]) {
    const btn = ro.getByRole("button", { name, exact: true });
    ok(await btn.isDisabled(), `read-only: "${name}" is disabled`, "disabled", "enabled");
    ok(/read-only/.test((await btn.getAttribute("title")) || ""), "…with the reason as its tooltip", "read-only …",
       await btn.getAttribute("title"));
  }
  await ro.close();

  // Delete with confirmation: cancel keeps it, confirming removes it (the next moves up).
  await page.getByRole("button", { name: `Delete rule 1 (id ${a})` }).click();
  const dlg = page.getByRole("dialog");
  ok(await shows(dlg), "delete asks for confirmation", "a dialog", "none");
  ok((await dlg.innerText()).includes(`Delete the rule at position 1 (id ${a}, any → account:carrier-1)?`),
     "…naming the rule", `Delete the rule at position 1 (id ${a}, …)`, await dlg.innerText());
  await dlg.getByRole("button", { name: "Cancel" }).click();
  ok(await until(page, () => !document.querySelector("dialog[open]")), "Cancel closes the dialog");
  ok((await daemonOrder()) === `${a},${b}` && (await order(page)) === `${a},${b}`, "…and both rules are still there (page and daemon)",
     `${a},${b}`, await daemonOrder());
  await page.getByRole("button", { name: `Delete rule 1 (id ${a})` }).click();
  await dlg.getByRole("button", { name: "Delete" }).click();
  ok(await until(page, ([t, want]) => [...document.querySelectorAll(t + " tbody tr")].map((r) => r.dataset.ruleId).join(",") === want,
                 [TABLE, String(b)]),
     "after confirming, only the second rule is left", String(b), await order(page));
  ok((await page.locator(`${TABLE} tr[data-rule-id="${b}"] td.num`).innerText()) === "1", "…now at position 1", "1",
     await page.locator(`${TABLE} tr[data-rule-id="${b}"] td.num`).innerText());
  const left = await need("rules");
  ok(left?.length === 1 && left[0].id === b && left[0].position === 1, "the daemon agrees: one rule, at position 1",
     `[{id: ${b}, position: 1}]`, JSON.stringify(left));
});
