// console.mjs: the MI console — the catalogue lists the daemon's commands and the search narrows
// it; uptime is picked and run, its reply shown as a tree and as raw JSON (the daemon's own
// start time); dp_translate gets a form generated from its params, a missing param is caught
// here, a bad one gets the API's message under its field, good ones the daemon's translation; an
// unknown command says it does not exist and offers the closest names (never a bare -32601); a
// read-only session sees Run disabled, with the reason, for a command it may not run (and the
// API refuses it too). Both widths, axe-core.
import { URL, axe, flow, go, login, need, ok, shots, until, readOnly, shows } from "../panel.mjs";

const status = (page) => page.locator(".console-catalogue p[role=status]").innerText();
const listed = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="console-commands"] tbody tr')]
  .map((tr) => tr.innerText.toLowerCase()));
const rawReply = async (page) => {
  try { return JSON.parse(await page.locator(".console-reply details.raw-json pre").innerText()); } catch (e) { return { error: String(e) }; }
};

await flow(async ({ page, browser }) => {
  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "MI console");
  await page.getByRole("heading", { name: "MI console" }).waitFor();

  // The catalogue and its search.
  const all = await need("commands");
  ok(await until(page, (n) => document.querySelector(".console-catalogue p[role=status]")?.textContent === `${n} of ${n} commands`, all.length),
     "the catalogue lists every command the daemon has (command_list)", `${all.length} of ${all.length} commands`, await status(page));
  const shownNames = await page.getByTestId("console-commands").locator("tbody tr td:first-child").allInnerTexts();
  ok(JSON.stringify([...shownNames].sort()) === JSON.stringify(all), "…by name", JSON.stringify(all).slice(0, 200),
     JSON.stringify(shownNames).slice(0, 200));
  await page.getByLabel("Search commands").fill("CDR");
  const cdr = await need("commands", "cdr");
  ok(await until(page, (n) => document.querySelector(".console-catalogue p[role=status]")?.textContent === `${n} of ${document.querySelectorAll("#command-names option").length} commands`, cdr.length),
     "searching cdr narrows the list to the commands naming it (any case)", `${cdr.length} of ${all.length} commands`, await status(page));
  ok(cdr.length > 1 && cdr.length < all.length && (await listed(page)).every((t) => t.includes("cdr")), "…each of them mentions cdr",
     JSON.stringify(cdr), JSON.stringify(await listed(page)));
  await page.getByLabel("Search commands").fill("no such thing at all");
  ok(await until(page, () => /No command matches the search/.test(document.querySelector("main").innerText)),
     "a search nothing matches says so", "No command matches the search.", await page.locator("main").innerText());

  // uptime: pick it, run it.
  await page.getByLabel("Search commands").fill("uptime");
  await page.getByTestId("console-commands").getByRole("button", { name: "uptime", exact: true }).click();
  const command = page.getByLabel("Command", { exact: true });
  ok((await command.inputValue()) === "uptime", "picking uptime in the list fills the command", "uptime", await command.inputValue());
  ok(await shows(page.getByText("It takes no params.")), "…which takes no params");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  ok(await until(page, () => /Ran uptime in \d+ ms/.test(document.querySelector('[data-testid="console-reply"]').innerText)),
     "Run: the page says it ran", "Ran uptime in N ms.", await page.getByTestId("console-reply").innerText());
  const up = await need("mi", "uptime");
  let reply = await rawReply(page);
  ok(reply["Up since"] === up.result?.["Up since"] && typeof reply.Now === "string" && /\[sec\]$/.test(reply["Up time"]),
     "the raw JSON is the daemon's reply (its start time, as uptime over the FIFO says)", up.result?.["Up since"], JSON.stringify(reply));
  const tree = await page.locator(".console-reply .tree").textContent();
  ok(tree.includes("Up since:") && tree.includes(JSON.stringify(up.result?.["Up since"])) && tree.includes("Up time:"),
     "…and the tree shows its members", "Up since: \"…\"", tree);

  // dp_translate: a generated form.
  await command.fill("dp_translate");
  const source = page.getByLabel("source (required)");
  const number = page.getByLabel("number (required)");
  ok(await shows(source) && await shows(number) && await shows(page.getByLabel("caller", { exact: true })),
     "dp_translate: a field per param (source and number required, caller optional)", "3 fields", await page.locator("form.console-run").innerText());
  ok(/any \| account:NAME/.test(await page.locator("table.params").innerText()), "…and its params table with their descriptions",
     "any | account:NAME …", await page.locator("table.params").innerText());
  await page.getByRole("button", { name: "Run", exact: true }).click();
  ok((await page.locator("#f-p-source-err").innerText()) === "is required" && (await page.locator("#f-p-number-err").innerText()) === "is required",
     "Run with nothing filled: the required params say so before anything is sent", "is required",
     await page.locator("form.console-run").innerText());
  await source.fill("bogus:x");
  await number.fill("0301");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const bad = await need("mi", "dp_translate", JSON.stringify({ source: "bogus:x", number: "0301" }));
  ok(await until(page, () => /Bad parameter 'source'/.test(document.querySelector("#f-p-source-err")?.textContent || "")),
     "a bad source: the API's message under the source field", "Bad parameter 'source': …", await page.locator("form.console-run").innerText());
  ok((await page.locator("#f-p-source-err").innerText()) === bad.error?.data && (await source.getAttribute("aria-invalid")) === "true",
     "…word for word the daemon's (dp_translate over the FIFO), the field marked invalid", bad.error?.data,
     await page.locator("#f-p-source-err").innerText());
  ok(/\(HTTP 400\)/.test(await page.getByTestId("console-reply").innerText()), "…and the reply area shows the API's error with its status",
     "(HTTP 400)", await page.getByTestId("console-reply").innerText());
  await source.fill("any");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  ok(await until(page, () => /Reply of dp_translate/.test(document.querySelector('[data-testid="console-reply"]').innerText)),
     "good params: the reply of dp_translate", "Reply of dp_translate", await page.getByTestId("console-reply").innerText());
  const good = await need("mi", "dp_translate", JSON.stringify({ source: "any", number: "0301" }));
  reply = await rawReply(page);
  ok(JSON.stringify(reply) === JSON.stringify(good.result) && reply.called === "301" && reply.target_id === "lines",
     "…the daemon's translation (0301 → 301, group lines)", JSON.stringify(good.result), JSON.stringify(reply));
  ok((await page.locator("#f-p-source-err").count()) === 0, "…and the field error is gone", 0, await page.locator("#f-p-source-err").count());

  // Unknown commands.
  await command.fill("uptme");
  ok(await shows(page.getByText("The catalogue does not list uptme")), "a name the catalogue does not list: params as JSON instead");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const unknown = page.getByTestId("console-reply").getByRole("alert");
  await unknown.waitFor();
  let text = await unknown.innerText();
  ok(/There is no command uptme\. Closest names: uptime/.test(text), "uptme: there is no such command; the closest name is uptime",
     "There is no command uptme. Closest names: uptime …", text);
  ok(!/32601|Method not found|not available/.test(await page.getByTestId("console-reply").innerText()),
     "…in words, not the bare JSON-RPC error", "no -32601", await page.getByTestId("console-reply").innerText());
  const really = await need("mi", "uptme");
  ok(really.error?.code === -32601, "the daemon does not know uptme indeed (-32601 over the FIFO)", -32601, JSON.stringify(really));
  await unknown.getByRole("button", { name: "uptime", exact: true }).click();
  ok((await command.inputValue()) === "uptime", "clicking the suggestion picks uptime", "uptime", await command.inputValue());

  await command.fill("calls:uptime");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await unknown.waitFor();
  text = await unknown.innerText();
  ok(/There is no command calls:uptime\. uptime is provided by module core: run it as uptime or core:uptime/.test(text),
     "calls:uptime: the page says which module provides uptime", "uptime is provided by module core …", text);
  ok((await need("mi", "calls:uptime")).error?.code === -32601, "…and the daemon does not know calls:uptime (-32601)");
  await unknown.getByRole("button", { name: "core:uptime", exact: true }).click();
  await page.getByRole("button", { name: "Run", exact: true }).click();
  ok(await until(page, () => /Reply of core:uptime/.test(document.querySelector('[data-testid="console-reply"]').innerText)),
     "core:uptime (module:name) runs", "Reply of core:uptime", await page.getByTestId("console-reply").innerText());

  await page.getByLabel("Search commands").fill("");
  await shots(page, "console");
  await axe(page, "console");

  // Read-only.
  const ro = await readOnly(browser, "MI console");
  const rmRow = ro.getByTestId("console-commands").locator("tr", { has: ro.getByRole("button", { name: "ul_rm", exact: true }) });
  await rmRow.waitFor();
  ok(/needs operator/.test(await rmRow.innerText()), "read-only: the catalogue marks ul_rm as needing operator", "needs operator",
     await rmRow.innerText());
  await rmRow.getByRole("button", { name: "ul_rm", exact: true }).click();
  const roRun = ro.getByRole("button", { name: "Run", exact: true });
  ok(await roRun.isDisabled(), "read-only: Run is disabled for ul_rm", "disabled", "enabled");
  ok(/read-only/.test((await roRun.getAttribute("title")) || ""), "…with the reason as its tooltip", "read-only …", await roRun.getAttribute("title"));
  ok(await shows(ro.getByRole("note").filter({ hasText: "You may not run it: you are logged in read-only" })),
     "…and the reason in the form", "You may not run it: …", await ro.locator("form.console-run").innerText());
  const refused = await ro.request.post(URL + "/api/v1/mi/ul_rm", { data: { table_name: "location", aor: "x@example.com" } });
  ok(refused.status() === 403, "…as the API has it: ul_rm without a credential is refused (403)", 403, refused.status());
  await ro.getByLabel("Command", { exact: true }).fill("uptime");
  ok(await roRun.isEnabled(), "read-only: Run is enabled for uptime (a read_only command)");
  await roRun.click();
  ok(await until(ro, () => /Reply of uptime/.test(document.querySelector('[data-testid="console-reply"]').innerText)),
     "…and runs it", "Reply of uptime", await ro.getByTestId("console-reply").innerText());
  await ro.close();
});
