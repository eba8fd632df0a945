import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { load, useClock, T0, UUID_V4, ENDPOINT } from './harness.js';

beforeEach(useClock);
afterEach(() => vi.useRealTimers());

describe('page views', () => {
  it('sends page_view on load with url, referrer, title, screen, language and view_id', async () => {
    const p = load({ url: 'https://shop.example.com/a?x=1', referrer: 'https://ref.example.org/post' });
    await p.flush();
    expect(p.fetch).toHaveBeenCalledTimes(1);
    const payload = p.payloads()[0];
    expect(payload.url).toBe(ENDPOINT);
    expect(payload.sent_at).toBe(T0 + 1000);
    expect(payload.context).toEqual({ screen: '0x0', language: 'en-US', timezone: expect.any(String), consent: true });
    const [pv] = payload.events;
    expect(pv).toEqual({
      event_id: expect.stringMatching(UUID_V4),
      type: 'page_view',
      ts: T0,
      url: 'https://shop.example.com/a?x=1',
      referrer: 'https://ref.example.org/post',
      title: 'Test page',
      screen: '0x0',
      language: 'en-US',
      view_id: expect.stringMatching(UUID_V4),
    });
  });

  it('SPA navigation sends page_leave (exit:false, time on page) and a new page_view; same-URL repeats are ignored', async () => {
    const p = load({ url: 'https://shop.example.com/a' });
    const firstView = p.events('page_view');
    vi.advanceTimersByTime(5000);
    p.w.history.pushState({}, '', '/b');
    p.w.history.replaceState({}, '', '/b'); // same URL: no new view
    p.w.history.pushState({}, '', '/b');
    vi.advanceTimersByTime(3000);
    p.w.history.pushState({}, '', '/c');
    await p.flush();
    const views = p.events('page_view');
    const leaves = p.events('page_leave');
    expect(views.map((e) => e.url)).toEqual(['https://shop.example.com/a', 'https://shop.example.com/b', 'https://shop.example.com/c']);
    expect(views.map((e) => e.referrer)).toEqual([undefined, 'https://shop.example.com/a', 'https://shop.example.com/b']);
    expect(new Set(views.map((e) => e.view_id)).size).toBe(3);
    expect(leaves).toHaveLength(2);
    expect(leaves[0]).toMatchObject({ url: 'https://shop.example.com/a', view_id: views[0].view_id, time_on_page: 5, exit: false });
    expect(leaves[1]).toMatchObject({ url: 'https://shop.example.com/b', view_id: views[1].view_id, time_on_page: 3, exit: false });
    expect(firstView).toEqual([]); // nothing sent before the batch timer
  });

  it('popstate (back button) is a navigation too', async () => {
    const p = load({ url: 'https://shop.example.com/a' });
    p.w.history.pushState({}, '', '/b');
    p.w.history.back();
    await vi.waitFor(() => expect(p.w.location.pathname).toBe('/a'));
    await p.flush();
    expect(p.events('page_view').map((e) => new URL(e.url).pathname)).toEqual(['/a', '/b', '/a']);
  });

  it('rastro.page() sends a manual page view', async () => {
    const p = load();
    p.w.rastro.page();
    await p.flush();
    expect(p.events('page_view')).toHaveLength(2);
    expect(p.events('page_leave')).toHaveLength(1);
  });

  it('counts visible time only and sends page_leave with exit:true via sendBeacon when hidden / unloaded', async () => {
    const p = load();
    vi.advanceTimersByTime(3000);
    p.setHidden(true); // tab hidden: real exit candidate
    expect(p.beacon).toHaveBeenCalledTimes(1);
    const [url, body] = p.beacon.mock.calls[0];
    expect(url).toBe(ENDPOINT);
    expect(typeof body).toBe('string');
    const hidden = JSON.parse(body).events;
    const [pv] = p.payloads()[0].events; // page_view went out by fetch after 1 s
    expect(p.payloads()[0].via).toBe('fetch');
    expect(pv.type).toBe('page_view');
    expect(hidden).toEqual([expect.objectContaining({ type: 'page_leave', time_on_page: 3, exit: true, view_id: pv.view_id })]);

    vi.advanceTimersByTime(60_000); // hidden time does not count
    p.setHidden(false);
    vi.advanceTimersByTime(2000);
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    expect(p.beacon).toHaveBeenCalledTimes(2);
    const final = JSON.parse(p.beacon.mock.calls[1][1]).events;
    expect(final).toEqual([expect.objectContaining({ type: 'page_leave', time_on_page: 5, exit: true, view_id: pv.view_id })]);
    expect(p.fetch).toHaveBeenCalledTimes(1);

    // hidden + pagehide after the exit do not send another page_leave
    p.setHidden(true);
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    expect(p.events('page_leave')).toHaveLength(2);
  });
});
