// events.mjs: the Events page — the live log shows the events the Python side causes (a REGISTER:
// E_UL_AOR_INSERT and E_UL_CONTACT_INSERT; raise_event) with the params the daemon raised (its
// Call-ID); an entry opens to its params as JSON; a param holding `<img src=x onerror=alert(1)>`
// (a User-Agent, a raised event's user) is shown as text; the filter hides other names; pause
// holds new events and resume shows them; clear empties the log. Both widths, axe-core.
import { axe, flow, go, login, need, ok, shots, until } from "../panel.mjs";

const XSS = "<img src=x onerror=alert(1)>";

/** The log as {name, summary} per entry, newest first. */
const entries = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="events-log"] > li')]
  .map((li) => ({ name: li.querySelector(".event-name")?.textContent, summary: li.querySelector(".event-summary")?.textContent || "" })));

/** Whether an entry of `name` whose summary contains `text` is listed. */
const listed = (page, name, text) => until(page, ([n, t]) => [...document.querySelectorAll('[data-testid="events-log"] > li')]
  .some((li) => li.querySelector(".event-name")?.textContent === n && (li.querySelector(".event-summary")?.textContent || "").includes(t)),
[name, text]);

const entry = (page, name, text) => page.getByTestId("events-log").locator(":scope > li")
  .filter({ has: page.locator("code.event-name", { hasText: new RegExp(`^${name}$`) }) }).filter({ hasText: text });

await flow(async ({ page }) => {
  await login(page, { token: process.env.SB_TOKEN });
  await go(page, "Events");
  await page.getByRole("heading", { name: "Events" }).waitFor();
  ok(await until(page, () => /Stream: live/.test(document.querySelector(".stream")?.textContent || "")), "the event stream is live",
     "Stream: live", await page.locator(".stream").innerText());
  const names = await need("event_names");
  const offered = await page.evaluate(() => [...document.querySelectorAll("#event-names option")].map((o) => o.value).sort());
  ok(JSON.stringify(offered) === JSON.stringify(names), "the filter offers every event events_list declares",
     JSON.stringify(names), JSON.stringify(offered));
  ok(/No event yet/.test(await page.locator("main").innerText()), "empty state: no event yet", "No event yet…",
     await page.locator("main").innerText());

  // A REGISTER with an XSS attempt as its User-Agent.
  const alice = await need("register", "alice", "xss");
  ok(alice.status === 200, "a SIP UA registered alice (User-Agent: an <img onerror> XSS attempt)", 200, JSON.stringify(alice));
  ok(await listed(page, "E_UL_CONTACT_INSERT", "aor=alice@example.com"), "E_UL_CONTACT_INSERT for alice appears live",
     "an entry", JSON.stringify(await entries(page)));
  ok(await listed(page, "E_UL_AOR_INSERT", "aor=alice@example.com"), "…and E_UL_AOR_INSERT", "an entry", JSON.stringify(await entries(page)));
  let list = await entries(page);
  ok(list.findIndex((e) => e.name === "E_UL_CONTACT_INSERT") < list.findIndex((e) => e.name === "E_UL_AOR_INSERT"),
     "newest first (the contact after its AOR)", "CONTACT_INSERT above AOR_INSERT", JSON.stringify(list));
  ok(/\b2 events\b/.test(await page.locator("main").innerText()), "the count says 2 events", "2 events",
     await page.locator("main").innerText());

  // Open the entry: its params as JSON, as the daemon raised them.
  const contact = entry(page, "E_UL_CONTACT_INSERT", "alice@example.com");
  ok(!(await contact.locator("pre").count()), "closed, an entry shows no params", 0, await contact.locator("pre").count());
  await contact.locator("summary").click();
  await contact.locator("pre").waitFor();
  let params = {};
  try { params = JSON.parse(await contact.locator("pre").innerText()); } catch (e) { params = { error: String(e) }; }
  ok(params.callid === alice.call_id && params.aor === "alice@example.com" && typeof params.expires === "number",
     "opened, it shows its params as JSON: the Call-ID of the Python side's REGISTER", alice.call_id, JSON.stringify(params));
  ok(params.user_agent === XSS, "…and the user agent, as text", XSS, params.user_agent);
  ok(/A new binding \(contact\) was stored \(module usrloc\)/.test(await contact.innerText()),
     "…with the event's summary from events_list", "A new binding (contact) was stored (module usrloc)", await contact.innerText());
  ok((await page.locator('img[src="x"]').count()) === 0, "no <img> was injected", 0, await page.locator('img[src="x"]').count());
  await contact.locator("summary").click();
  await contact.locator("pre").waitFor({ state: "detached" });

  // raise_event with the XSS attempt in a string param: in the one-line summary, as text.
  ok((await need("raise_xss")) === "OK", "raise_event E_REGISTRAR_AUTH_FAILED (user: the XSS attempt) succeeds", "OK");
  ok(await listed(page, "E_REGISTRAR_AUTH_FAILED", `user=${XSS}`), "the raised event appears, its user shown as text",
     `user=${XSS}`, JSON.stringify(await entries(page)));
  ok((await page.locator('img[src="x"]').count()) === 0, "…and no <img> was injected", 0, await page.locator('img[src="x"]').count());

  // The filter.
  const filter = page.getByLabel("Filter by event name");
  await filter.fill("aor_");
  ok(await until(page, () => [...document.querySelectorAll('[data-testid="events-log"] .event-name')].map((e) => e.textContent).join() === "E_UL_AOR_INSERT"),
     "filter aor_ (any case): only E_UL_AOR_INSERT is shown", "E_UL_AOR_INSERT", JSON.stringify(await entries(page)));
  ok(/Showing 1 of 3 events/.test(await page.locator("main").innerText()), "…and the page says 1 of 3",
     "Showing 1 of 3 events", await page.locator("main").innerText());
  await filter.fill("E_CALL");
  ok(await until(page, () => /No event matches the filter/.test(document.querySelector("main").innerText)),
     "a filter nothing matches: says so", "No event matches the filter.", await page.locator("main").innerText());
  await filter.fill("");
  ok(await until(page, () => document.querySelectorAll('[data-testid="events-log"] > li').length === 3), "no filter: all 3 again");

  // Pause holds what arrives; resume shows it.
  const pause = page.getByRole("button", { name: "Pause" });
  await pause.click();
  const resume = page.getByRole("button", { name: "Resume" });
  ok((await resume.getAttribute("aria-pressed")) === "true", "Pause becomes a pressed Resume button", "true",
     await resume.getAttribute("aria-pressed"));
  const carol = await need("register", "carol", "plain");
  ok(carol.status === 200, "carol registered while the log is paused", 200, JSON.stringify(carol));
  ok(await until(page, () => /Paused: 2 new events held/.test(document.querySelector("main").innerText)),
     "paused: the page counts the 2 events held", "Paused: 2 new events held", await page.locator("main").innerText());
  list = await entries(page);
  ok(list.length === 3 && !list.some((e) => e.summary.includes("carol")), "…and does not show them", "3 entries, none for carol",
     JSON.stringify(list));
  await resume.click();
  ok(await listed(page, "E_UL_CONTACT_INSERT", "aor=carol@example.com") && await listed(page, "E_UL_AOR_INSERT", "aor=carol@example.com"),
     "resume: carol's two events are shown", "carol's entries", JSON.stringify(await entries(page)));
  ok(!/Paused:/.test(await page.locator("main").innerText()) && (await entries(page)).length === 5,
     "…nothing is held any more, 5 events listed", 5, JSON.stringify(await entries(page)));
  const carolContact = entry(page, "E_UL_CONTACT_INSERT", "carol@example.com");
  await carolContact.locator("summary").click();
  await carolContact.locator("pre").waitFor();
  const carolParams = JSON.parse(await carolContact.locator("pre").innerText());
  ok(carolParams.callid === carol.call_id && carolParams.user_agent === "panel-test", "the held event is the daemon's (carol's Call-ID)",
     carol.call_id, JSON.stringify(carolParams));

  await shots(page, "events");
  await axe(page, "events");

  await page.getByRole("button", { name: "Clear the log" }).click();
  ok(await until(page, () => !document.querySelector('[data-testid="events-log"] > li') && /No event yet/.test(document.querySelector("main").innerText)),
     "Clear the log empties it", "No event yet", await page.locator("main").innerText());
  ok(await page.getByRole("button", { name: "Clear the log" }).isDisabled(), "…and Clear is disabled on an empty log");

  // E_STATISTICS samples only when asked for (the stream reopens with them, and without them again).
  const before = await need("listeners", "E_UL_CONTACT_INSERT", 1);
  ok(before === 1, "the daemon counts the page's one stream as an E_UL_CONTACT_INSERT listener", 1, before);
  const stats = page.getByLabel("Include E_STATISTICS samples (every 10 s)");
  await stats.check();
  ok(await until(page, () => [...document.querySelectorAll('[data-testid="events-log"] .event-name')].some((e) => e.textContent === "E_STATISTICS"), null, 25000),
     "ticked: E_STATISTICS samples appear", "an E_STATISTICS entry", JSON.stringify(await entries(page)));
  const sample = page.getByTestId("events-log").locator(":scope > li").filter({ has: page.locator("code.event-name", { hasText: /^E_STATISTICS$/ }) }).first();
  await sample.locator("summary").click();
  let p = {};
  try { p = JSON.parse(await sample.locator("pre").innerText()); } catch (e) { p = { error: String(e) }; }
  ok(p.interval === 10 && p.statistics && typeof p.statistics === "object" && Object.keys(p.statistics).length > 0,
     "…at the interval the page asked for (10 s), with the daemon's statistics", "interval 10", JSON.stringify(p).slice(0, 300));
  const during = await need("listeners", "E_UL_CONTACT_INSERT", 1);
  ok(during === 1, "…through one stream: the previous one was closed", 1, during);
  await stats.uncheck();
  ok(await until(page, () => /Stream: live/.test(document.querySelector(".stream")?.textContent || "")), "unticked: the stream is live again");
  const after = await need("listeners", "E_UL_CONTACT_INSERT", 1);
  ok(after === 1, "…still one stream", 1, after);
});
