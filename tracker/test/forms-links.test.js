import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { load, useClock } from './harness.js';

beforeEach(useClock);
afterEach(() => vi.useRealTimers());

const CAMPAIGN = 'https://shop.example.com/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&utm_term=tenis&utm_content=ad1&gclid=G1';

describe('hidden form fields', () => {
  const body = `
    <form id="f1">
      <input type="hidden" name="rastro_session_id">
      <input type="hidden" name="rastro_visitor_id">
      <input type="hidden" name="utm_source">
      <input type="hidden" name="gclid">
      <input type="hidden" name="fbclid" value="keep">
      <input type="text" name="utm_medium" value="typed by user">
    </form>
    <form id="f2" data-rastro-form><input name="email"></form>`;

  it('fills hidden inputs the page asked for, never creates or overwrites others', () => {
    const p = load({ url: CAMPAIGN, body });
    const ids = p.w.rastro.ids();
    const f1 = p.d.getElementById('f1');
    const val = (name) => f1.querySelector(`[name="${name}"]`).value;
    expect(val('rastro_session_id')).toBe(ids.session_id);
    expect(val('rastro_visitor_id')).toBe(ids.visitor_id);
    expect(val('utm_source')).toBe('google');
    expect(val('gclid')).toBe('G1');
    expect(val('fbclid')).toBe('keep'); // no stored fbclid: left alone
    expect(val('utm_medium')).toBe('typed by user'); // not hidden: not touched
    expect(f1.querySelector('[name=utm_campaign]')).toBeNull(); // not created
  });

  it('appends every field to forms marked data-rastro-form', () => {
    const p = load({ url: CAMPAIGN, body });
    const f2 = p.d.getElementById('f2');
    const hidden = Object.fromEntries([...f2.querySelectorAll('input[type=hidden]')].map((i) => [i.name, i.value]));
    expect(hidden).toEqual({
      rastro_session_id: p.w.rastro.ids().session_id,
      rastro_visitor_id: p.w.rastro.ids().visitor_id,
      utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'bf', utm_term: 'tenis', utm_content: 'ad1', gclid: 'G1',
    });
  });

  it('fills forms added after load at first input / submit time, without duplicating fields', () => {
    const p = load({ url: CAMPAIGN });
    p.d.body.insertAdjacentHTML('beforeend', '<form id="late" data-rastro-form><input type="hidden" name="utm_source"><input name="email"></form>');
    const form = p.d.getElementById('late');
    form.querySelector('[name=email]').dispatchEvent(new p.w.Event('input', { bubbles: true }));
    expect(form.querySelector('[name=utm_source]').value).toBe('google');
    form.dispatchEvent(new p.w.Event('submit', { bubbles: true, cancelable: true }));
    expect(form.querySelectorAll('[name=utm_source]')).toHaveLength(1);
    expect(form.querySelectorAll('[name=rastro_session_id]')).toHaveLength(1);
    expect(form.querySelector('[name=rastro_session_id]').value).toBe(p.w.rastro.ids().session_id);
  });
});

describe('checkout links', () => {
  it('appends src, sck and stored utm_* without duplicating existing params', () => {
    const p = load({
      url: CAMPAIGN,
      body: `<a id="hot" data-rastro-checkout href="https://pay.hotmart.com/X123?off=abc&utm_source=partner">Buy</a>
             <a id="kiwi" data-rastro-checkout href="https://pay.kiwify.com.br/abc">Buy</a>
             <a id="plain" href="https://pay.hotmart.com/X123">not marked</a>`,
    });
    const hot = new URL(p.d.getElementById('hot').href);
    expect([...hot.searchParams.keys()].sort()).toEqual(['off', 'sck', 'src', 'utm_campaign', 'utm_content', 'utm_medium', 'utm_source', 'utm_term']);
    expect(hot.searchParams.get('utm_source')).toBe('partner'); // existing kept
    expect(hot.searchParams.get('src')).toBe('google');
    expect(hot.searchParams.get('sck')).toBe('google|cpc|bf|ad1|tenis');
    expect(hot.searchParams.get('utm_campaign')).toBe('bf');
    expect(p.d.getElementById('plain').href).toBe('https://pay.hotmart.com/X123');

    // decorating again (click) must not duplicate anything
    p.click(p.d.getElementById('hot'));
    p.click(p.d.getElementById('kiwi'));
    const again = p.d.getElementById('hot').href;
    expect(again).toBe(hot.href);
    const kiwi = new URL(p.d.getElementById('kiwi').href);
    expect(kiwi.searchParams.getAll('src')).toEqual(['google']);
    expect(kiwi.searchParams.getAll('sck')).toEqual(['google|cpc|bf|ad1|tenis']);
  });

  it('uses stored src / sck from the landing URL, drops trailing empty sck parts', () => {
    const p = load({ url: 'https://shop.example.com/?src=insta&sck=bio', body: '<a id="c" data-rastro-checkout href="https://pay.hotmart.com/X">x</a>' });
    const u = new URL(p.d.getElementById('c').href);
    expect(u.searchParams.get('src')).toBe('insta');
    expect(u.searchParams.get('sck')).toBe('bio');

    const q = load({ url: 'https://shop.example.com/?utm_source=fb&utm_medium=paid', body: '<a id="c" data-rastro-checkout href="https://pay.hotmart.com/X">x</a>' });
    expect(new URL(q.d.getElementById('c').href).searchParams.get('sck')).toBe('fb|paid');
  });

  it('leaves checkout links alone when nothing is stored', () => {
    const p = load({ body: '<a id="c" data-rastro-checkout href="https://pay.hotmart.com/X?a=1">x</a>' });
    expect(p.d.getElementById('c').href).toBe('https://pay.hotmart.com/X?a=1');
  });
});

describe('WhatsApp links', () => {
  it('appends [ref:XXXXXX] (first 6 chars of the session id, uppercased) to the text, once', () => {
    const p = load({
      body: `<a id="wa" data-rastro-whatsapp href="https://wa.me/5511999999999?text=Ol%C3%A1%2C%20quero%20saber%20mais">chat</a>
             <a id="api" data-rastro-whatsapp href="https://api.whatsapp.com/send?phone=5511999999999">chat</a>`,
    });
    const code = p.w.rastro.ids().session_id.slice(0, 6).toUpperCase();
    expect(code).toMatch(/^[0-9A-Z]{6}$/);
    const wa = new URL(p.d.getElementById('wa').href);
    expect(wa.searchParams.get('text')).toBe(`Olá, quero saber mais [ref:${code}]`);
    expect(p.d.getElementById('wa').href).toContain('%20%5Bref%3A'); // spaces as %20
    p.click(p.d.getElementById('wa'));
    expect(new URL(p.d.getElementById('wa').href).searchParams.get('text')).toBe(`Olá, quero saber mais [ref:${code}]`);
    const api = new URL(p.d.getElementById('api').href);
    expect(api.searchParams.get('phone')).toBe('5511999999999');
    expect(api.searchParams.get('text')).toBe(`[ref:${code}]`);
  });

  it('refreshes the code at click time when the session rolled', () => {
    const p = load({ body: '<a id="wa" data-rastro-whatsapp href="https://wa.me/55119?text=oi">chat</a>' });
    vi.advanceTimersByTime(31 * 60_000);
    p.w.rastro.track('back'); // new session
    p.click(p.d.getElementById('wa'));
    const code = p.w.rastro.ids().session_id.slice(0, 6).toUpperCase();
    expect(new URL(p.d.getElementById('wa').href).searchParams.get('text')).toBe(`oi [ref:${code}]`);
  });
});
