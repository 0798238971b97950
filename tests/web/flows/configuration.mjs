// configuration.mjs: the Configuration page — the document downloads (valid JSON, the daemon's
// revision and members); text that is not JSON is caught here; an uploaded document with errors
// (a dialplan regex that does not compile, a port's channels of the wrong type) gets each
// problem at its JSON Pointer, with the value found there, and changes nothing; a valid changed
// document's dry run reports the change and its impact, changes nothing, and Apply (confirmed)
// makes it the daemon's; the revisions list grows; a preview and then a restore (confirmed) of
// the previous revision bring the daemon back; read-only users see upload, apply, restore and
// download disabled with the reason (and the API refuses them too). Both widths, axe-core.
import { readFileSync } from "node:fs";
import { URL, axe, flow, go, login, need, ok, shots, until, readOnly, shows } from "../panel.mjs";

const MEMBERS = ["schema_version", "revision", "generated_at", "subscribers", "accounts", "dialplan", "ports", "port_groups", "cause_map"];
const revisionRows = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="revisions-table"] tbody tr')]
  .map((tr) => Number(tr.dataset.revision)));

async function upload(page, name, doc) {
  await page.getByLabel("Configuration file (JSON)").setInputFiles({
    name, mimeType: "application/json", buffer: Buffer.from(typeof doc === "string" ? doc : JSON.stringify(doc, null, 2)) });
  await page.getByText(`Read from ${name}`).waitFor();
  await page.getByRole("button", { name: "Dry run (check, change nothing)" }).click();
}

await flow(async ({ page, browser }) => {
  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Configuration");
  await page.getByRole("heading", { name: "Configuration", exact: true }).waitFor();
  const start = await need("state");
  const R = start.current;
  ok(R >= 3 && start.ports.includes(1), "the Python side provisioned port 1, group lines and a rule (revision ≥ 3)", "≥ 3",
     JSON.stringify(start));
  ok(await until(page, (n) => document.querySelectorAll('[data-testid="revisions-table"] tbody tr').length === n, start.revisions.length),
     "the revisions list shows every kept revision (config_revisions)", start.revisions.length, JSON.stringify(await revisionRows(page)));
  ok(JSON.stringify(await revisionRows(page)) === JSON.stringify(start.revisions.map((r) => r[0])), "…newest first",
     JSON.stringify(start.revisions.map((r) => r[0])), JSON.stringify(await revisionRows(page)));
  ok((await page.locator(`tr[data-revision="${R}"]`).innerText()).includes("current"), `revision ${R} is marked current`);

  // Download.
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download the configuration" }).click()]);
  ok(dl.suggestedFilename() === "switchboard-config.json", "the download is switchboard-config.json", "switchboard-config.json", dl.suggestedFilename());
  let doc = {};
  try { doc = JSON.parse(readFileSync(await dl.path(), "utf8")); } catch (e) { doc = { error: String(e) }; }
  ok(MEMBERS.every((m) => m in doc), "…valid JSON with every top-level member", MEMBERS.join(", "), Object.keys(doc).join(", "));
  ok(doc.revision === R && doc.ports?.some((p) => p.port === 1 && p.label === "first") && doc.dialplan?.length === start.rules.length,
     "…the daemon's configuration: its revision, port 1, its dialplan", `revision ${R}`, JSON.stringify(doc).slice(0, 300));
  ok(await until(page, (r) => document.querySelector("main").innerText.includes(`Saved revision ${r} as switchboard-config.json`), R),
     "the page says what it saved", `Saved revision ${R} as switchboard-config.json`, await page.locator("main").innerText());

  // Not JSON: caught in the browser.
  const text = page.getByLabel("Configuration document (JSON)");
  await text.fill('{"schema_version": 1, "ports": [');
  await page.getByRole("button", { name: "Dry run (check, change nothing)" }).click();
  ok(await shows(page.getByRole("alert").filter({ hasText: "The document is not valid JSON" })), "text that is not JSON: the page says so",
     "The document is not valid JSON: …", await page.locator("form.upload-card").innerText());

  // A document with errors.
  const bad = structuredClone(doc);
  bad.dialplan.push({ src_kind: "any", src_id: "", dest_match: "^(0", dest_rewrite: "", src_match: "", src_rewrite: "",
                      target_kind: "group", target_id: "lines", options: {}, comment: "broken" });
  bad.ports[0].channels = "two";
  const badRule = bad.dialplan.length - 1;
  await upload(page, "broken.json", bad);
  ok((await text.inputValue()).includes('"^(0"'), "the chosen file's text is shown for editing", '"^(0"', (await text.inputValue()).slice(0, 200));
  const problems = page.getByTestId("config-problems");
  await problems.waitFor();
  const ptext = await problems.innerText();
  ok(/Configuration refused: 2 problems \(HTTP 422\)/.test(ptext), "the dry run is refused: 2 problems (HTTP 422)",
     "Configuration refused: 2 problems (HTTP 422)", ptext);
  ok(ptext.includes(`/dialplan/${badRule}/dest_match (dialplan › item ${badRule + 1} › dest_match): '^(0' does not compile`)
     && ptext.includes('it is: "^(0"'),
     "the bad regex is located by its pointer, with the value found there", `/dialplan/${badRule}/dest_match … it is: "^(0"`, ptext);
  ok(ptext.includes("/ports/0/channels (ports › item 1 › channels):") && ptext.includes('it is: "two"'),
     "the wrong type too: /ports/0/channels, it is \"two\"", '/ports/0/channels … it is: "two"', ptext);
  ok(await page.getByRole("button", { name: "Apply", exact: true }).isDisabled(), "Apply stays disabled");
  let now = await need("state");
  ok(now.current === R && now.ports.join() === start.ports.join() && now.rules.join() === start.rules.join(),
     "the daemon's configuration did not change", `revision ${R}`, JSON.stringify(now));

  // A valid changed document: port 7 and a rule for 7….
  const good = structuredClone(doc);
  good.ports.push({ port: 7, driver: "virtual", channels: 2, label: "seven", options: {} });
  good.dialplan.push({ src_kind: "any", src_id: "", dest_match: "^7(\\d+)$", dest_rewrite: "\\1", src_match: "", src_rewrite: "",
                       target_kind: "group", target_id: "lines", options: {}, comment: "sevens" });
  await upload(page, "changed.json", good);
  const report = page.getByTestId("config-report");
  await report.waitFor();
  let rtext = await report.innerText();
  ok(rtext.includes(`Dry run against revision ${R}: what would change`) && /2 changes\. Impact class:\s*live/.test(rtext),
     "the dry run reports 2 changes, impact class live", "2 changes. Impact class: live", rtext);
  const portsRow = await report.getByRole("row", { name: /^Ports/ }).first().innerText();
  ok(/^Ports\s+7\s+–\s+–$/.test(portsRow.trim()), "…port 7 added", "Ports 7 – –", portsRow);
  const rulesRow = await report.getByRole("row", { name: /^Dialplan rules/ }).first().innerText();
  ok(/^Dialplan rules\s+\(new rule\)\s+–\s+–$/.test(rulesRow.trim()), "…a dialplan rule added", "Dialplan rules (new rule) – –", rulesRow);
  ok(/Ports\s+7\s+added\s+live/.test(rtext), "…and the impact of each change (port 7 added: live)", "Ports 7 added live", rtext);
  ok(await until(page, (r) => document.querySelector("main").innerText.includes(`Dry run done against revision ${r}: nothing has changed yet`), R),
     "the page says nothing has changed yet", "Dry run done … nothing has changed yet", await page.locator("main").innerText());
  now = await need("state");
  ok(now.current === R && !now.live_ports.includes(7) && (await need("port", 7)).error?.code === 404,
     "…and indeed the daemon has no port 7 and is still at the same revision", `revision ${R}, no port 7`, JSON.stringify(now));

  // Apply, confirmed.
  await page.getByRole("button", { name: "Apply", exact: true }).click();
  const dlg = page.getByRole("dialog");
  await dlg.waitFor();
  const question = await dlg.innerText();
  ok(question.includes(`Replace the configuration (now revision ${R}) with this document? 2 change(s), impact class live`),
     "Apply asks for confirmation, with the revision, the changes and the impact", `now revision ${R} … 2 change(s), impact class live`, question);
  await dlg.getByRole("button", { name: "Apply" }).click();
  ok(await until(page, (r) => document.querySelector("main").innerText.includes(`Applied: the configuration is now revision ${r + 1}.`), R),
     "after confirming: applied, now revision R+1", `Applied: the configuration is now revision ${R + 1}.`, await page.locator("main").innerText());
  const p7 = await need("port", 7);
  now = await need("state");
  ok(p7.label === "seven" && p7.channels === 2 && now.live_ports.includes(7), "the daemon has port 7 (port_show: seven, 2 channels)",
     "seven / 2", JSON.stringify(p7));
  ok(now.current === R + 1 && now.rules.includes("^7(\\d+)$"), "…and the new rule, at revision R+1", `revision ${R + 1}`, JSON.stringify(now));
  ok(await until(page, (n) => document.querySelectorAll('[data-testid="revisions-table"] tbody tr').length === n, now.revisions.length),
     "the revisions list grows", now.revisions.length, JSON.stringify(await revisionRows(page)));
  const top = page.locator(`tr[data-revision="${R + 1}"]`);
  ok((await top.innerText()).includes("current") && (await top.innerText()).includes(now.revisions[0][1]),
     `revision ${R + 1} is current, made by ${now.revisions[0][1]}`, now.revisions[0][1], await top.innerText());

  // Preview, then restore, the previous revision.
  await page.getByRole("button", { name: `Preview restoring revision ${R}` }).click();
  const restoreReport = page.getByTestId("config-report").filter({ hasText: `Restoring revision ${R} would change` });
  await restoreReport.waitFor();
  rtext = await restoreReport.innerText();
  ok(/^Ports\s+–\s+–\s+7$/.test((await restoreReport.getByRole("row", { name: /^Ports/ }).first().innerText()).trim()),
     "preview: restoring it would remove port 7", "Ports – – 7", rtext);
  ok((await need("state")).live_ports.includes(7), "…and the preview changed nothing (port 7 is still there)");
  await page.getByRole("button", { name: `Restore revision ${R}` }).click();
  await dlg.waitFor();
  const restoreQ = await dlg.innerText();
  ok(restoreQ.includes(`Restore revision ${R}? Its document replaces the configuration (now revision ${R + 1}) as a new revision.`),
     "Restore asks for confirmation", `Restore revision ${R}? …`, restoreQ);
  await dlg.getByRole("button", { name: "Restore" }).click();
  ok(await until(page, (r) => document.querySelector("main").innerText.includes(`Revision ${r} restored: the configuration is now revision ${r + 2}.`), R),
     "after confirming: restored as revision R+2", `Revision ${R} restored: the configuration is now revision ${R + 2}.`,
     await page.locator("main").innerText());
  now = await need("state");
  ok(now.current === R + 2 && !now.live_ports.includes(7) && now.ports.join() === start.ports.join() && now.rules.join() === start.rules.join(),
     "the daemon is back: no port 7, the rules of revision R, at revision R+2", JSON.stringify({ ports: start.ports, rules: start.rules }),
     JSON.stringify(now));
  ok((await need("port", 7)).error?.code === 404, "…port_show 7: not found");
  ok(await until(page, (n) => document.querySelectorAll('[data-testid="revisions-table"] tbody tr').length === n, now.revisions.length)
     && await until(page, (r) => /current/.test(document.querySelector(`tr[data-revision="${r}"]`)?.innerText || ""), R + 2),
     `the list grows again, revision ${R + 2} current`, `${now.revisions.length} rows`, JSON.stringify(await revisionRows(page)));

  // A kept revision, downloaded.
  const [rdl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: `Download revision ${R + 1}` }).click()]);
  let rdoc = {};
  try { rdoc = JSON.parse(readFileSync(await rdl.path(), "utf8")); } catch (e) { rdoc = { error: String(e) }; }
  ok(rdl.suggestedFilename() === `switchboard-config-r${R + 1}.json` && rdoc.ports?.some((p) => p.port === 7 && p.label === "seven"),
     `Download revision ${R + 1}: switchboard-config-r${R + 1}.json, the document that had port 7`, `switchboard-config-r${R + 1}.json`,
     rdl.suggestedFilename() + " " + JSON.stringify(rdoc).slice(0, 300));

  await shots(page, "configuration");
  await axe(page, "configuration");

  // A dry run made stale by a change elsewhere (the Python side adds port 9 over the FIFO).
  await upload(page, "changed-again.json", { ...good, revision: R + 2 });
  await page.getByTestId("config-report").filter({ hasText: `Dry run against revision ${R + 2}` }).waitFor();
  ok(await page.getByRole("button", { name: "Apply", exact: true }).isEnabled(), "a new dry run: Apply is enabled");
  const added = await need("add_port", 9);
  ok(added === "OK", "meanwhile, port 9 is added over the FIFO", "OK", JSON.stringify(added));
  ok(await until(page, () => /The configuration changed since this dry run: run it again before applying/.test(document.querySelector("main").innerText)),
     "the page says the dry run is stale (E_CONFIG_CHANGED)", "The configuration changed since this dry run …",
     await page.locator("form.upload-card").innerText());
  ok(await page.getByRole("button", { name: "Apply", exact: true }).isDisabled(), "…and Apply is disabled until it runs again");
  ok(await until(page, (n) => /current/.test(document.querySelector(`tr[data-revision="${n}"]`)?.innerText || ""), R + 3),
     `the revisions list follows: revision ${R + 3} is current`, "current", JSON.stringify(await revisionRows(page)));

  // Read-only.
  const ro = await readOnly(browser, "Configuration");
  await ro.locator(`tr[data-revision="${R}"]`).waitFor();
  const checks = [
    ["the file upload", ro.getByLabel("Configuration file (JSON)")],
    ["the document's text", ro.getByLabel("Configuration document (JSON)")],
    ["Dry run", ro.getByRole("button", { name: "Dry run (check, change nothing)" })],
    ["Apply", ro.getByRole("button", { name: "Apply", exact: true })],
    [`Restore revision ${R}`, ro.getByRole("button", { name: `Restore revision ${R}` })],
    ["Download the configuration", ro.getByRole("button", { name: "Download the configuration" })],
  ];
  for (const [what, el] of checks) {
    ok(await el.isDisabled(), `read-only: ${what} is disabled`, "disabled", "enabled");
    ok(/admin role/.test((await el.getAttribute("title")) || ""), `…${what}: the reason as its tooltip`, "needs the admin role …",
       await el.getAttribute("title"));
  }
  const refused = await ro.request.put(URL + "/api/v1/config?dry_run=true", { data: doc, headers: { "If-Match": "*" } });
  ok(refused.status() === 403, "…as the API has it: PUT /config without a credential is refused (403)", 403, refused.status());
  await ro.close();
});
