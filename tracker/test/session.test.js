import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CookieJar } from 'jsdom';
import { load, useClock } from './harness.js';

beforeEach(useClock);
afterEach(() => vi.useRealTimers());

const MIN = 60_000;

describe('visitor and session ids', () => {
  it('creates long random ids, stores them in cookies and exposes them via rastro.ids()', async () => {
    const p = load();
    const ids = p.w.rastro.ids();
    expect(ids.visitor_id).toMatch(/^[0-9a-z]{22,}$/);
    expect(ids.session_id).toMatch(/^[0-9a-z]{22,}$/);
    expect(ids.visitor_id).not.toBe(ids.session_id);
    expect(p.cookieValue('_rastro_v')).toBe(ids.visitor_id);
    expect(p.cookieValue('_rastro_s')).toBe(ids.session_id);
    await p.flush();
    expect(p.payloads()[0]).toMatchObject({ site: 'SITE_KEY', ...ids });
    // a different visitor gets different ids
    expect(load().w.rastro.ids().visitor_id).not.toBe(ids.visitor_id);
  });

  it('keeps visitor and session across page loads within 30 minutes', () => {
    const jar = new CookieJar();
    const a = load({ jar }).w.rastro.ids();
    vi.advanceTimersByTime(20 * MIN);
    const b = load({ jar, url: 'https://shop.example.com/other' }).w.rastro.ids();
    expect(b).toEqual(a);
  });

  it('rolls the session after 30 minutes of inactivity, keeps the visitor', () => {
    const jar = new CookieJar();
    const a = load({ jar }).w.rastro.ids();
    vi.advanceTimersByTime(31 * MIN);
    const b = load({ jar }).w.rastro.ids();
    expect(b.visitor_id).toBe(a.visitor_id);
    expect(b.session_id).not.toBe(a.session_id);
  });

  it('every event refreshes the session expiry', () => {
    const jar = new CookieJar();
    const p = load({ jar });
    const first = p.w.rastro.ids().session_id;
    vi.advanceTimersByTime(20 * MIN);
    p.w.rastro.track('ping');
    vi.advanceTimersByTime(25 * MIN); // 45 min after load, 25 min after the last event
    expect(load({ jar }).w.rastro.ids().session_id).toBe(first);
  });

  it('rolls the session on the same page after 30 idle minutes', async () => {
    const p = load();
    const first = p.w.rastro.ids().session_id;
    vi.advanceTimersByTime(31 * MIN);
    p.w.rastro.track('late');
    const second = p.w.rastro.ids().session_id;
    expect(second).not.toBe(first);
    await p.flush();
    expect(p.payloads().at(-1).session_id).toBe(second);
  });

  it('a new campaign or click id rolls the session; the same campaign again does not', () => {
    const jar = new CookieJar();
    const a = load({ jar, url: 'https://shop.example.com/?utm_source=google&utm_campaign=a' }).w.rastro.ids();
    vi.advanceTimersByTime(2 * MIN);
    const same = load({ jar, url: 'https://shop.example.com/x?utm_source=google&utm_campaign=a' }).w.rastro.ids();
    expect(same.session_id).toBe(a.session_id);
    vi.advanceTimersByTime(2 * MIN);
    const b = load({ jar, url: 'https://shop.example.com/?utm_source=google&utm_campaign=b' }).w.rastro.ids();
    expect(b.session_id).not.toBe(a.session_id);
    expect(b.visitor_id).toBe(a.visitor_id);
    vi.advanceTimersByTime(2 * MIN);
    const c = load({ jar, url: 'https://shop.example.com/?utm_source=google&utm_campaign=b&gclid=NEW' }).w.rastro.ids();
    expect(c.session_id).not.toBe(b.session_id);
    vi.advanceTimersByTime(2 * MIN);
    const direct = load({ jar, url: 'https://shop.example.com/' }).w.rastro.ids();
    expect(direct.session_id).toBe(c.session_id); // no parameters: not a touch, no roll
  });

  it('a campaign landing in an ongoing direct session starts a new session', () => {
    const jar = new CookieJar();
    const a = load({ jar }).w.rastro.ids();
    const b = load({ jar, url: 'https://shop.example.com/?utm_source=newsletter' }).w.rastro.ids();
    expect(b.session_id).not.toBe(a.session_id);
  });
});
