import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CookieJar } from 'jsdom';
import { load, useClock } from './harness.js';

beforeEach(useClock);
afterEach(() => vi.useRealTimers());

const URL_ = 'https://shop.example.com/?utm_source=google&gclid=G1';
const body = '<form id="f"><input type="hidden" name="utm_source"><input type="hidden" name="rastro_visitor_id"></form><a id="c" data-rastro-checkout href="https://pay.hotmart.com/X">buy</a>';

describe('data-require-consent', () => {
  it('sends nothing and writes no cookie until rastro.consent(true)', async () => {
    const jar = new CookieJar();
    const p = load({ jar, url: URL_, body, attrs: { 'data-require-consent': true } });
    p.w.rastro.track('signup');
    await p.flush(10_000);
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    expect(p.fetch).not.toHaveBeenCalled();
    expect(p.beacon).not.toHaveBeenCalled();
    expect(jar.getCookiesSync('https://shop.example.com/')).toEqual([]);
    expect(p.d.cookie).toBe('');
    expect(p.d.querySelector('[name=utm_source]').value).toBe('');
    expect(p.d.getElementById('c').href).toBe('https://pay.hotmart.com/X');

    p.w.rastro.consent(true);
    await p.flush();
    expect(p.events().map((e) => e.type)).toEqual(['page_view', 'custom', 'page_leave']); // buffered events go out
    expect(p.payloads()[0].context.consent).toBe('analytics,ad_user_data,ad_personalization'); // true: all
    expect(p.payloads()[0].touch.last.gclid).toBe('G1');
    expect(p.cookieValue('_rastro_v')).toBe(p.w.rastro.ids().visitor_id);
    expect(p.cookieValue('_rastro_s')).toBe(p.w.rastro.ids().session_id);
    expect(JSON.parse(p.cookieValue('_rastro_a')).l.utm_source).toBe('google');
    expect(p.d.querySelector('[name=utm_source]').value).toBe('google');
    expect(new URL(p.d.getElementById('c').href).searchParams.get('src')).toBe('google');

    // later pages of a visitor who consented: the visitor cookie counts as consent
    const next = load({ jar, url: 'https://shop.example.com/next', attrs: { 'data-require-consent': true } });
    await next.flush();
    expect(next.fetch).toHaveBeenCalledTimes(1);
    expect(next.w.rastro.ids().visitor_id).toBe(p.w.rastro.ids().visitor_id);
  });

  it('consent can be given through the pre-load queue', async () => {
    const p = load({ attrs: { 'data-require-consent': true }, before: (w) => (w.rastro = { q: [['consent', true]] }) });
    await p.flush();
    expect(p.events('page_view')).toHaveLength(1);
  });

  it('rastro.consent(false) deletes the cookies and stops sending', async () => {
    const jar = new CookieJar();
    const p = load({ jar, url: URL_ });
    expect(p.cookie('_rastro_v')).toBeDefined();
    p.w.rastro.consent(false);
    expect(jar.getCookiesSync('https://shop.example.com/').map((c) => c.key)).toEqual([]);
    p.w.rastro.track('after');
    await p.flush(10_000);
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    // Only the page view that came before the withdrawal (queued, sent at once).
    expect(p.fetch).toHaveBeenCalledTimes(1);
    expect(p.events().map((e) => e.type)).toEqual(['page_view']);
    expect(p.beacon).not.toHaveBeenCalled();
    expect(jar.getCookiesSync('https://shop.example.com/')).toEqual([]);
  });
});

describe('consent purposes', () => {
  const ALL = 'analytics,ad_user_data,ad_personalization';

  it('sends the granted purposes, keeps them for later pages and puts them in forms', async () => {
    const jar = new CookieJar();
    const form = '<form data-rastro-form id="f"><input name="email"></form>';
    const p = load({ jar, url: URL_, body: form, attrs: { 'data-require-consent': true } });
    p.w.rastro.consent({ analytics: true, ad_user_data: true, ad_personalization: false });
    await p.flush();
    expect(p.payloads()[0].context.consent).toBe('analytics,ad_user_data');
    expect(p.cookieValue('_rastro_c')).toBe('analytics,ad_user_data');
    expect(p.d.querySelector('[name=rastro_consent]').value).toBe('analytics,ad_user_data');

    const next = load({ jar, url: 'https://shop.example.com/next', attrs: { 'data-require-consent': true } });
    await next.flush();
    expect(next.payloads()[0].context.consent).toBe('analytics,ad_user_data');

    // Changed later: personalization granted too.
    next.w.rastro.consent(true);
    next.w.rastro.track('again');
    await next.flush();
    expect(next.payloads().at(-1).context.consent).toBe(ALL);
    expect(next.cookieValue('_rastro_c')).toBe(ALL);
  });

  it('ad purposes without analytics store and send nothing', async () => {
    const jar = new CookieJar();
    const p = load({ jar, url: URL_, attrs: { 'data-require-consent': true } });
    p.w.rastro.consent({ ad_user_data: true, ad_personalization: true });
    p.w.rastro.track('signup');
    await p.flush(10_000);
    expect(p.fetch).not.toHaveBeenCalled();
    expect(jar.getCookiesSync('https://shop.example.com/')).toEqual([]);
  });

  it('a purpose is granted only by true', async () => {
    const p = load({ attrs: { 'data-require-consent': true } });
    p.w.rastro.consent({ analytics: true, ad_user_data: 'yes', ad_personalization: 1 });
    await p.flush();
    expect(p.payloads()[0].context.consent).toBe('analytics');
  });

  it('withdrawing consent deletes the purposes cookie too', async () => {
    const jar = new CookieJar();
    const p = load({ jar, url: URL_ });
    p.w.rastro.consent({ analytics: true, ad_user_data: true });
    expect(p.cookieValue('_rastro_c')).toBe('analytics,ad_user_data');
    p.w.rastro.consent(false);
    expect(jar.getCookiesSync('https://shop.example.com/')).toEqual([]);
  });

  it('a site that never asks sends consent: true and no purposes field', async () => {
    const p = load({ url: URL_, body: '<form data-rastro-form id="f"><input name="email"></form>' });
    await p.flush();
    expect(p.payloads()[0].context.consent).toBe(true);
    p.d.querySelector('[name=email]').dispatchEvent(new p.w.Event('input', { bubbles: true }));
    expect(p.d.querySelector('[name=rastro_visitor_id]')).not.toBeNull();
    expect(p.d.querySelector('[name=rastro_consent]')).toBeNull();
  });
});

describe('consent changed mid-session', () => {
  const form = '<form data-rastro-form id="f"><input name="email"></form>';

  it('a withdrawal sends what came before under the old consent, then nothing; the forms lose the ids', async () => {
    const jar = new CookieJar();
    const p = load({ jar, url: URL_, body: form, attrs: { 'data-require-consent': true } });
    p.w.rastro.consent(true);
    await p.flush();
    const sent = p.payloads().length;
    p.w.rastro.track('before'); // queued, not yet sent
    p.w.rastro.consent({ analytics: false, ad_user_data: true });
    expect(p.payloads().length).toBe(sent + 1); // flushed at once, under the consent it had
    expect(p.payloads().at(-1).events.map((e) => e.action || e.type)).toContain('before');
    expect(p.payloads().at(-1).context.consent).toBe('analytics,ad_user_data,ad_personalization');
    expect(jar.getCookiesSync('https://shop.example.com/')).toEqual([]);
    const fields = (n) => p.d.querySelector(`[name=${n}]`).value;
    expect([fields('rastro_session_id'), fields('rastro_visitor_id'), fields('rastro_consent')]).toEqual(['', '', 'none']);
    p.w.rastro.track('during');
    p.w.rastro.page();
    await p.flush(10_000);
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    expect(p.payloads().length).toBe(sent + 1);
    expect(p.beacon).not.toHaveBeenCalled();
  });

  it('given again, the same session goes on from the next event, under the new consent', async () => {
    const p = load({ url: URL_, body: form, attrs: { 'data-require-consent': true } });
    p.w.rastro.consent({ analytics: true, ad_user_data: true });
    await p.flush();
    const { session_id, visitor_id } = p.w.rastro.ids();
    p.w.rastro.consent(false);
    p.w.rastro.track('during');
    await p.flush(60_000);
    p.w.rastro.consent({ analytics: true });
    p.w.rastro.track('after');
    await p.flush();
    const last = p.payloads().at(-1);
    expect(last.session_id).toBe(session_id);
    expect(last.visitor_id).toBe(visitor_id);
    expect(last.context.consent).toBe('analytics');
    const names = p.payloads().flatMap((b) => b.events.map((e) => e.action));
    expect(names).toContain('after');
    expect(names).not.toContain('during');
    expect(p.cookieValue('_rastro_s')).toBe(session_id);
    expect(p.d.querySelector('[name=rastro_consent]').value).toBe('analytics');
    expect(p.d.querySelector('[name=rastro_session_id]').value).toBe(session_id);
  });

  it('ad consent withdrawn keeps the session and changes what forms and batches say', async () => {
    const p = load({ url: URL_, body: form });
    p.w.rastro.consent(true);
    await p.flush();
    const { session_id } = p.w.rastro.ids();
    p.w.rastro.consent({ analytics: true });
    p.w.rastro.track('after');
    await p.flush();
    expect(p.payloads().at(-1).session_id).toBe(session_id);
    expect(p.payloads().at(-1).context.consent).toBe('analytics');
    expect(p.d.querySelector('[name=rastro_consent]').value).toBe('analytics');
  });
});
