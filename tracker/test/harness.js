// Loads the built tracker into a fresh jsdom page and records what it sends.
import { readFileSync } from 'node:fs';
import { JSDOM, CookieJar, VirtualConsole } from 'jsdom';
import { vi } from 'vitest';

export const SITE = 'SITE_KEY';
export const ENDPOINT = 'https://rastro.example.com/api/collect';
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const code = () => readFileSync(new URL('../dist/t.js', import.meta.url), 'utf8');

/**
 * @param {object} o
 * @param {string} [o.url] page URL
 * @param {object} [o.attrs] extra attributes of the <script> tag (true = attribute without value)
 * @param {string} [o.body] page body HTML
 * @param {CookieJar} [o.jar] share one jar between loads to simulate later page views
 * @param {(w: Window) => void} [o.before] runs before the tracker (stubs, queue, …)
 */
export function load({ url = 'https://shop.example.com/', attrs = {}, body = '', jar = new CookieJar(), referrer, before, fetchImpl, beaconImpl } = {}) {
  const tag = Object.entries({ 'data-site': SITE, ...attrs })
    .map(([k, v]) => (v === true ? k : `${k}="${v}"`))
    .join(' ');
  const consoleMessages = [];
  const virtualConsole = new VirtualConsole();
  for (const level of ['log', 'info', 'warn', 'error', 'debug'])
    virtualConsole.on(level, (...args) => consoleMessages.push([level, ...args]));
  virtualConsole.on('jsdomError', (e) => {
    if (!/Not implemented: navigation/.test(e.message)) consoleMessages.push(['jsdomError', e.message]);
  });
  const dom = new JSDOM(
    `<!doctype html><html><head><title>Test page</title><script src="https://rastro.example.com/t.js" ${tag}></script></head><body>${body}</body></html>`,
    { url, referrer, cookieJar: jar, runScripts: 'outside-only', pretendToBeVisual: true, virtualConsole },
  );
  const w = dom.window;
  // Route the page's clock and timers through Node's (faked by vi.useFakeTimers in the tests).
  w.Date = Date;
  w.setTimeout = (...a) => setTimeout(...a);
  w.clearTimeout = (...a) => clearTimeout(...a);
  const fetch = vi.fn(fetchImpl || (async () => ({ ok: true, status: 200 })));
  const beacon = vi.fn(beaconImpl || (() => true));
  w.fetch = fetch;
  Object.defineProperty(w.navigator, 'sendBeacon', { value: beacon, configurable: true });
  if (before) before(w);
  w.eval(code());

  const page = {
    dom,
    w,
    d: w.document,
    jar,
    fetch,
    beacon,
    consoleMessages,
    /** Every payload sent so far (fetch and beacon), in call order per transport. */
    payloads: () => [
      ...fetch.mock.calls.map(([u, init]) => ({ via: 'fetch', url: u, ...JSON.parse(init.body) })),
      ...beacon.mock.calls.map(([u, body]) => ({ via: 'beacon', url: u, ...JSON.parse(body) })),
    ],
    events: (type) => page.payloads().flatMap((p) => p.events).filter((e) => !type || e.type === type),
    cookie: (name) => {
      const c = jar.getCookiesSync(url).find((c) => c.key === name);
      return c && c;
    },
    cookieValue: (name) => {
      const c = page.cookie(name);
      return c ? decodeURIComponent(c.value) : undefined;
    },
    /** Flush the 1 s batch timer and let fetch promises settle. */
    flush: async (ms = 1000) => {
      await vi.advanceTimersByTimeAsync(ms);
    },
    setHidden(hidden) {
      Object.defineProperty(w.document, 'hidden', { value: hidden, configurable: true });
      w.document.dispatchEvent(new w.Event('visibilitychange'));
    },
    click(el) {
      el.dispatchEvent(new w.MouseEvent('click', { bubbles: true, cancelable: true }));
    },
  };
  // jsdom does not navigate on link clicks anyway, but keep it explicit.
  w.addEventListener('click', (e) => e.preventDefault());
  return page;
}

export function useClock() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(T0);
}
