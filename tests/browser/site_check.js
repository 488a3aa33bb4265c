// Opens a published notewell site in Debian's headless chromium and checks
// what the privacy statement promises about the pages themselves: no request
// leaves the site's folder, no cookie or storage is set, the pages work with
// JavaScript off, and the <audio> element plays the Opus recording with its
// real duration.  Usage: node site_check.js BASE_URL SESSION_UID SECONDS
// Prints TAP lines.
const { chromium } = require('playwright-core');

const [base, uid, wantSeconds] = process.argv.slice(2);
let n = 0, failed = 0;
function ok(cond, what, extra) {
  n++;
  if (cond) console.log(`ok ${n} - ${what}`);
  else { failed++; console.log(`not ok ${n} - ${what}`); if (extra) console.log(`# ${extra}`); }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  const outside = [];
  const seen = [];
  const watch = (ctx) => ctx.on('request', (r) => {
    seen.push(r.url());
    if (!r.url().startsWith(base + '/')) outside.push(r.url());
  });

  // JavaScript off: the index and a session page are complete without it.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  watch(noJs);
  let page = await noJs.newPage();
  let resp = await page.goto(base + '/index.html');
  ok(resp && resp.ok(), 'index.html loads with JavaScript off');
  const links = await page.locator(`a[href="${uid}/bluesheet.html"]`).count();
  ok(links === 1, 'index links the session page');
  resp = await page.goto(`${base}/${uid}/bluesheet.html`);
  ok(resp && resp.ok(), 'session page loads with JavaScript off');
  const rows = await page.locator('table tr').count();
  ok(rows > 1, 'blue sheet table rendered without JavaScript', `rows=${rows}`);
  ok((await noJs.cookies()).length === 0, 'no cookies (JavaScript off)');

  // JavaScript on, to measure the audio and look at storage.
  const ctx = await browser.newContext();
  watch(ctx);
  page = await ctx.newPage();
  await page.goto(base + '/index.html');
  await page.goto(`${base}/${uid}/bluesheet.html`);
  const dur = await page.evaluate(() => new Promise((resolve) => {
    const a = document.querySelector('audio');
    if (!a) return resolve(-1);
    if (a.readyState >= 1) return resolve(a.duration);
    a.addEventListener('loadedmetadata', () => resolve(a.duration));
    a.addEventListener('error', () => resolve(-2));
    a.load();
  }));
  ok(Math.abs(dur - Number(wantSeconds)) < 0.25,
     `<audio> loads recording.opus with duration ${wantSeconds}s`, `got ${dur}`);
  const scripts = await page.evaluate(() => document.scripts.length);
  ok(scripts === 0, 'no <script> elements');
  const storage = await page.evaluate(async () => {
    const dbs = indexedDB.databases ? await indexedDB.databases() : [];
    return localStorage.length + sessionStorage.length + dbs.length;
  });
  ok(storage === 0, 'no localStorage, sessionStorage or IndexedDB');
  ok((await ctx.cookies()).length === 0, 'no cookies');
  ok(outside.length === 0, 'no request leaves the output folder',
     outside.join(' '));
  ok(seen.some((u) => u.endsWith('/recording.opus')), 'the recording was requested');
  await browser.close();
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`not ok ${n + 1} - browser run: ${e.message.split('\n')[0]}`); process.exit(1); });
