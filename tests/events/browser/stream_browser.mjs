// stream_browser.mjs: Debian's chromium, driven by playwright-core (web/node_modules), opens the
// test page; prints "SUBSCRIBED" once the page's WebSocket is subscribed, then waits for a line
// on stdin (the test has sent a REGISTER) and for the page to list E_UL_CONTACT_INSERT, and
// prints the page's event list as JSON. Usage: node stream_browser.mjs <page URL>
import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(process.env.SB_WEB_DIR + "/package.json");
const { chromium } = require("playwright-core");

const browser = await chromium.launch({
  executablePath: process.env.SB_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],  // CI runs as root
});
try {
  const page = await browser.newPage();
  await page.goto(process.argv[2]);
  await page.waitForFunction(() => document.title !== "loading", null, { timeout: 15000 });
  const title = await page.title();
  console.log(title === "subscribed" ? "SUBSCRIBED" : "FAILED " + title);
  if (title !== "subscribed") process.exit(1);
  const rl = readline.createInterface({ input: process.stdin });
  await new Promise((resolve) => rl.once("line", resolve));
  rl.close();
  await page.waitForFunction(
    () => [...document.querySelectorAll("#events li")].some((li) => li.textContent.startsWith("E_UL_CONTACT_INSERT")),
    null, { timeout: 10000 });
  const items = await page.$$eval("#events li", (lis) => lis.map((li) => li.textContent));
  console.log(JSON.stringify(items));
} finally {
  await browser.close();
}
