// panel.mjs: what every panel flow shares — chromium through playwright-core, log-in, checks
// printed for weblib.py (ok: / FAIL: lines), NEED requests to the Python side, screenshots at
// both widths, an axe-core pass, and a watch for dialogs (an XSS that ran would open one).
import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(process.env.SB_WEB_DIR + "/package.json");
const { chromium } = require("playwright-core");
const AXE_SOURCE = (await import("node:fs")).readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const URL = process.env.SB_URL;
const FLOW = process.env.SB_FLOW || "flow";
let failures = 0;

export function ok(cond, what, expected = "", got = "") {
  if (cond) console.log(`ok: ${what}`);
  else {
    failures++;
    console.log(`FAIL: ${what} | ${expected} | ${String(got).replace(/\n/g, " ").slice(0, 800)}`);
  }
  return cond;
}

const rl = readline.createInterface({ input: process.stdin });
const answers = [];
const waiting = [];
rl.on("line", (l) => (waiting.length ? waiting.shift()(JSON.parse(l)) : answers.push(JSON.parse(l))));
/** Asks the Python side (weblib.run_flow's handlers) and waits for its answer. */
export function need(action, ...args) {
  console.log(["NEED", action, ...args].join(" "));
  return new Promise((resolve) => (answers.length ? resolve(answers.shift()) : waiting.push(resolve)));
}

/**
 * Runs `body(ctx)` with a fresh browser; ctx = {browser, page, dialogs, errors}. Page errors,
 * console errors and dialogs are recorded; the flow fails if any dialog opened.
 */
export async function flow(body, { width = 1280, height = 800 } = {}) {
  const browser = await chromium.launch({ executablePath: process.env.SB_CHROMIUM || "/usr/bin/chromium",
                                          args: ["--no-sandbox"] });
  const dialogs = [];
  const errors = [];
  try {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
    await body({ browser, context, page, dialogs, errors });
    ok(dialogs.length === 0, "no dialog opened (no injected script ran)", "none", dialogs.join("; "));
    const csp = errors.filter((e) => /Content Security Policy|Refused to/.test(e));
    ok(csp.length === 0, "no Content-Security-Policy violation", "none", csp.join("; "));
  } catch (e) {
    ok(false, "the flow ran without an exception", "no exception", e.stack || e);
  } finally {
    await browser.close();
    rl.close();
  }
  process.exitCode = failures ? 1 : 0;
}

/** Logs in with a token (or Basic user+password) and waits for the dashboard. */
export async function login(page, { token, user, password } = {}) {
  await page.goto(URL + "/");
  if (user) {
    await page.getByLabel("a user and password").check();
    await page.getByLabel("User", { exact: true }).fill(user);
    await page.getByLabel("Password", { exact: true }).fill(password);
  } else {
    await page.getByLabel("Token", { exact: true }).fill(token);
  }
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
}

/** A second browser context without any credential ("Look around read-only"), on page `name`. */
export async function readOnly(browser, name) {
  const ro = await (await browser.newContext()).newPage();
  await ro.goto(URL + "/");
  await ro.getByRole("button", { name: "Look around read-only" }).click();
  await ro.getByRole("heading", { name: "Dashboard" }).waitFor();
  if (name !== "Dashboard") await go(ro, name);
  return ro;
}

export async function go(page, name) {
  await page.getByRole("navigation", { name: "pages" }).getByRole("link", { name, exact: true }).click();
}

/** A screenshot at the current width, then at phone width (390×844), then back. */
export async function shots(page, name) {
  const vp = page.viewportSize();
  const dir = process.env.SB_SHOTS;
  await page.screenshot({ path: `${dir}/${FLOW}-${name}-${vp.width}.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  // Charts resize on the next ResizeObserver callback: wait for the layout to settle.
  await until(page, () => document.documentElement.scrollWidth - window.innerWidth <= 1, null, 3000);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  ok(overflow <= 1, `${name}: usable at 390 px (no page-wide horizontal scroll)`, "<= 1 px", overflow + " px");
  await page.screenshot({ path: `${dir}/${FLOW}-${name}-390.png`, fullPage: true });
  await page.setViewportSize(vp);
}

/** axe-core on the current page: no serious or critical violation. */
export async function axe(page, name) {
  // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses injected scripts.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  ok(bad.length === 0, `${name}: axe-core finds no serious or critical accessibility violation`, "none",
     JSON.stringify(bad));
}

/** Waits until the locator is visible; false after `ms` (an element that appears after a render). */
export async function shows(locator, ms = 5000) {
  try {
    await locator.waitFor({ state: "visible", timeout: ms });
    return true;
  } catch {
    return false;
  }
}

/** Waits until `fn` (run in the page) is truthy; false after `ms`. */
export async function until(page, fn, arg, ms = 10000) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms });
    return true;
  } catch {
    return false;
  }
}
