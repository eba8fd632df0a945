import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { load, useClock, ENDPOINT } from './harness.js';

beforeEach(useClock);
afterEach(() => vi.useRealTimers());

describe('batching', () => {
  it('sends several events in one request after ~1 s, as a CORS-simple POST', async () => {
    const p = load();
    p.w.rastro.track('a');
    p.w.rastro.track('b');
    await p.flush(999);
    expect(p.fetch).not.toHaveBeenCalled();
    await p.flush(1);
    expect(p.fetch).toHaveBeenCalledTimes(1);
    const [url, init] = p.fetch.mock.calls[0];
    expect(url).toBe(ENDPOINT);
    expect(init.method).toBe('POST');
    expect(typeof init.body).toBe('string'); // a string body is sent as text/plain;charset=UTF-8
    expect(init.headers).toBeUndefined(); // so no non-simple header triggers a preflight
    expect(init.keepalive).toBe(true);
    expect(JSON.parse(init.body).events.map((e) => e.type)).toEqual(['page_view', 'custom', 'custom']);
  });

  it('flushes at once at 10 events', async () => {
    const p = load();
    for (let i = 0; i < 9; i++) p.w.rastro.track('e' + i);
    expect(p.fetch).toHaveBeenCalledTimes(1);
    expect(JSON.parse(p.fetch.mock.calls[0][1].body).events).toHaveLength(10);
  });

  it('uses data-endpoint when given', async () => {
    const p = load({ attrs: { 'data-endpoint': 'https://collect.example.net/c' } });
    await p.flush();
    expect(p.fetch.mock.calls[0][0]).toBe('https://collect.example.net/c');
  });

  it('keeps at most 100 queued events (the newest)', async () => {
    const p = load({ attrs: { 'data-require-consent': true } });
    for (let i = 0; i < 150; i++) p.w.rastro.track('e' + i);
    p.w.rastro.consent(true);
    await p.flush();
    const events = p.events();
    expect(events).toHaveLength(100);
    expect(events.at(-1).action).toBe('e149');
  });

  it('event ids are uuid v4 also without crypto.randomUUID', async () => {
    const p = load({ before: (w) => delete Object.getPrototypeOf(w.crypto).randomUUID });
    expect(p.w.crypto.randomUUID).toBeUndefined();
    p.w.rastro.track('x');
    await p.flush();
    const ids = p.events().map((e) => e.event_id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('retries', () => {
  it('retries a failed fetch with backoff, with the same event ids', async () => {
    let calls = 0;
    const p = load({
      fetchImpl: async () => {
        calls++;
        if (calls === 1) throw new TypeError('network down');
        if (calls === 2) return { ok: false, status: 503 };
        return { ok: true, status: 200 };
      },
    });
    await p.flush(); // try 1 fails
    expect(p.fetch).toHaveBeenCalledTimes(1);
    await p.flush(1000); // try 2 after 1 s: 503
    expect(p.fetch).toHaveBeenCalledTimes(2);
    await p.flush(1999);
    expect(p.fetch).toHaveBeenCalledTimes(2);
    await p.flush(1); // try 3 after 2 s: ok
    expect(p.fetch).toHaveBeenCalledTimes(3);
    const bodies = p.payloads();
    expect(bodies[2].events.map((e) => e.event_id)).toEqual(bodies[0].events.map((e) => e.event_id));
    expect(bodies[2].sent_at).toBeGreaterThan(bodies[0].sent_at);
    await p.flush(60_000);
    expect(p.fetch).toHaveBeenCalledTimes(3);
  });

  it('gives up after 3 tries and does not retry 4xx', async () => {
    const p = load({ fetchImpl: async () => ({ ok: false, status: 500 }) });
    await p.flush(60_000);
    expect(p.fetch).toHaveBeenCalledTimes(3);
    const q = load({ fetchImpl: async () => ({ ok: false, status: 400 }) });
    await q.flush(60_000);
    expect(q.fetch).toHaveBeenCalledTimes(1);
  });

  it('falls back to fetch (keepalive) when sendBeacon refuses on unload', async () => {
    const p = load({ beaconImpl: () => false });
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    expect(p.beacon).toHaveBeenCalledTimes(1);
    expect(p.fetch).toHaveBeenCalledTimes(1);
    expect(p.payloads()[0].events.map((e) => e.type)).toEqual(['page_view', 'page_leave']);
  });
});

describe('never throws into the page', () => {
  it('survives fetch, sendBeacon and document.cookie throwing, without console output', async () => {
    const p = load({
      fetchImpl: () => {
        throw new Error('fetch blocked');
      },
      beaconImpl: () => {
        throw new Error('beacon blocked');
      },
      before: (w) => {
        Object.defineProperty(w.document, 'cookie', {
          get() {
            throw new Error('SecurityError');
          },
          set() {
            throw new Error('SecurityError');
          },
        });
      },
      url: 'https://shop.example.com/?utm_source=x',
      body: '<a id="wa" data-rastro-whatsapp href="https://wa.me/1?text=hi">w</a><form data-rastro-form><input name="e"></form><button data-rastro-click="b">b</button>',
    });
    expect(p.w.rastro.ids().session_id).toMatch(/^[0-9a-z]{24}$/);
    const circular = {};
    circular.self = circular;
    expect(() => {
      p.w.rastro.track('x', { data: circular });
      p.w.rastro.track('y', null);
      p.w.rastro.page();
      p.w.rastro.consent(true);
      p.w.rastro.consent(false);
      p.w.rastro.consent(true);
      p.click(p.d.querySelector('button'));
      p.click(p.d.getElementById('wa'));
      p.d.dispatchEvent(new p.w.MouseEvent('click', { bubbles: true })); // target without .closest(): handler fails inside
      p.d.dispatchEvent(new p.w.Event('submit', { bubbles: true }));
      p.d.querySelector('form input').dispatchEvent(new p.w.Event('input', { bubbles: true }));
      p.w.history.pushState({}, '', '/other');
      p.setHidden(true);
      p.w.dispatchEvent(new p.w.Event('pagehide'));
    }).not.toThrow();
    await p.flush(60_000);
    expect(p.fetch).toHaveBeenCalled(); // it kept trying
    const sent = [...new Map(p.events().map((e) => [e.event_id, e])).values()]; // each batch tried 3 times
    expect(sent.filter((e) => e.type === 'custom').map((e) => e.action)).toEqual(['y']); // only the unserialisable event was dropped
    expect(sent.filter((e) => e.type === 'page_view')).toHaveLength(3); // load, rastro.page(), pushState
    expect(p.consoleMessages).toEqual([]); // no console noise, no uncaught errors in handlers
    // the session stays stable in memory without cookies
    const sid = p.w.rastro.ids().session_id;
    p.w.rastro.track('z');
    expect(p.w.rastro.ids().session_id).toBe(sid);
  });

  it('does nothing (and does not throw) without data-site', async () => {
    const p = load({ attrs: { 'data-site': '' } });
    await p.flush();
    expect(p.w.rastro).toBeUndefined();
    expect(p.fetch).not.toHaveBeenCalled();
    expect(p.consoleMessages).toEqual([]);
  });
});
