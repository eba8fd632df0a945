import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CookieJar } from 'jsdom';
import { load, useClock, T0 } from './harness.js';

beforeEach(useClock);
afterEach(() => vi.useRealTimers());

const LANDING =
  'https://shop.example.com/lp?utm_source=google&utm_medium=cpc&utm_campaign=black-friday&utm_id=123&utm_term=tenis&utm_content=ad1' +
  '&gclid=G1&gbraid=GB&wbraid=WB&fbclid=FB1&ttclid=TT&li_fat_id=LI&msclkid=MS&src=hotsrc&sck=hotsck&xcod=XC&other=ignored';

describe('attribution from the landing URL', () => {
  it('reads UTMs, click ids and src/sck/xcod into first and last touch', async () => {
    const p = load({ url: LANDING, referrer: 'https://www.google.com/' });
    await p.flush();
    const [payload] = p.payloads();
    const expected = {
      utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'black-friday', utm_id: '123', utm_term: 'tenis', utm_content: 'ad1',
      gclid: 'G1', gbraid: 'GB', wbraid: 'WB', fbclid: 'FB1', ttclid: 'TT', li_fat_id: 'LI', msclkid: 'MS',
      src: 'hotsrc', sck: 'hotsck', xcod: 'XC',
      fbc: `fb.1.${T0}.FB1`,
      landing_url: LANDING, referrer: 'https://www.google.com/', ts: T0,
    };
    expect(payload.touch.last).toEqual(expected);
    expect(payload.touch.first).toEqual(expected);
    expect(payload.touch.last).not.toHaveProperty('other');
    // stored in the _rastro_a cookie as URI-encoded JSON
    const stored = JSON.parse(p.cookieValue('_rastro_a'));
    expect(stored.l).toEqual(expected);
    expect(stored.f).toEqual(expected);
  });

  it('a page without parameters is not a touch', async () => {
    const p = load({ url: 'https://shop.example.com/?q=shoes' });
    await p.flush();
    expect(p.payloads()[0].touch).toEqual({});
    expect(p.cookie('_rastro_a')).toBeUndefined();
  });

  it('keeps the first touch and replaces the last touch', async () => {
    const jar = new CookieJar();
    await load({ jar, url: 'https://shop.example.com/?utm_source=google&utm_campaign=a' }).flush();
    vi.advanceTimersByTime(60_000);
    const second = load({ jar, url: 'https://shop.example.com/p?utm_source=facebook&utm_campaign=b&fbclid=X' });
    await second.flush();
    let touch = second.payloads()[0].touch;
    expect(touch.first).toMatchObject({ utm_source: 'google', utm_campaign: 'a', ts: T0 });
    expect(touch.first).not.toHaveProperty('fbclid');
    expect(touch.last).toMatchObject({ utm_source: 'facebook', utm_campaign: 'b', fbclid: 'X', ts: T0 + 61_000 }); // 1 s batch flush + 60 s
    expect(touch.last).not.toHaveProperty('utm_medium');

    // a later page without parameters keeps both
    const third = load({ jar, url: 'https://shop.example.com/cart' });
    await third.flush();
    touch = third.payloads()[0].touch;
    expect(touch.first.utm_source).toBe('google');
    expect(touch.last.utm_source).toBe('facebook');
  });

  it('writes the attribution cookie compact, path=/, SameSite=Lax, Secure on https, max-age from data-cookie-days', () => {
    const p = load({ url: 'https://shop.example.com/?utm_source=x', attrs: { 'data-cookie-days': '30' } });
    for (const name of ['_rastro_a', '_rastro_v']) {
      const c = p.cookie(name);
      expect(c.path).toBe('/');
      expect(c.sameSite).toBe('lax');
      expect(c.secure).toBe(true);
      expect(c.maxAge).toBe(30 * 86400);
    }
    expect(p.cookie('_rastro_a').value).toMatch(/^%7B/); // URI-encoded JSON
    expect(p.cookie('_rastro_s').maxAge).toBe(1800);

    const http = load({ url: 'http://shop.example.com/?utm_source=x' });
    expect(http.cookie('_rastro_a').secure).toBe(false);
    expect(http.cookie('_rastro_v').maxAge).toBe(90 * 86400); // default 90 days
  });
});

describe("Meta's fbc / fbp", () => {
  it('builds fbc as fb.1.<ms>.<fbclid> when no _fbc cookie exists', async () => {
    const p = load({ url: 'https://shop.example.com/?fbclid=IwAR123abc' });
    await p.flush();
    expect(p.payloads()[0].touch.last.fbc).toBe(`fb.1.${T0}.IwAR123abc`);
  });

  it('uses the existing _fbc and _fbp cookies', async () => {
    const jar = new CookieJar();
    jar.setCookieSync('_fbc=fb.1.1700000000000.OLD', 'https://shop.example.com/');
    jar.setCookieSync('_fbp=fb.1.1700000000000.987654321', 'https://shop.example.com/');
    const p = load({ jar, url: 'https://shop.example.com/?fbclid=OLD&utm_source=fb' });
    await p.flush();
    expect(p.payloads()[0].touch.last).toMatchObject({ fbc: 'fb.1.1700000000000.OLD', fbp: 'fb.1.1700000000000.987654321' });
  });

  it('adds a _fbp that appears later to the stored last touch', async () => {
    const jar = new CookieJar();
    await load({ jar, url: 'https://shop.example.com/?utm_source=fb' }).flush();
    jar.setCookieSync('_fbp=fb.1.1.42', 'https://shop.example.com/');
    const p = load({ jar, url: 'https://shop.example.com/next' });
    await p.flush();
    expect(p.payloads()[0].touch.last).toMatchObject({ utm_source: 'fb', fbp: 'fb.1.1.42' });
    expect(p.payloads()[0].touch.first).not.toHaveProperty('fbp');
  });
});

describe('the attribution cookie stays small', () => {
  it('cuts long parameters, landing URL and referrer to 255 characters', async () => {
    const long = 'x'.repeat(1000);
    const url = `https://shop.example.com/lp?utm_source=meta&utm_content=${long}&fbclid=${long}&other=${long}`;
    const p = load({ url, referrer: `https://l.facebook.com/?u=${long}` });
    await p.flush();
    const last = p.payloads()[0].touch.last;
    expect(last.utm_content).toHaveLength(255);
    expect(last.fbclid).toHaveLength(255);
    expect(last.landing_url).toHaveLength(255);
    expect(last.referrer).toHaveLength(255);
    // first and last touch together, URI-encoded, fit in a browser's 4 KB cookie
    const cookie = p.cookie('_rastro_a');
    expect(cookie.key.length + 1 + cookie.value.length).toBeLessThan(4096);
    expect(JSON.parse(p.cookieValue('_rastro_a')).l.fbclid).toHaveLength(255);
  });
});

describe('a Rastro e-mail click (mid / rid)', () => {
  const MID = '0193a1b2-0000-7000-8000-000000000001';
  const RID = '0193a1b2-0000-7000-8000-0000000000aa';
  const EMAIL = `https://shop.example.com/oferta?cupom=X&utm_source=newsletter&utm_medium=email&utm_campaign=bf&mid=${MID}&rid=${RID}`;

  it('keeps mid and rid with the touch, sends them with every batch of later pages and fills forms', async () => {
    const jar = new CookieJar();
    const p = load({ jar, url: EMAIL });
    await p.flush();
    expect(p.payloads()[0].touch.last).toMatchObject({ utm_medium: 'email', mid: MID, rid: RID });
    expect(JSON.parse(p.cookieValue('_rastro_a')).l).toMatchObject({ mid: MID, rid: RID });

    vi.advanceTimersByTime(60_000);
    const later = load({ jar, url: 'https://shop.example.com/precos', body: '<form id="f" data-rastro-form><input name="email"></form>' });
    await later.flush();
    expect(later.payloads()[0].touch.last).toMatchObject({ mid: MID, rid: RID });
    const form = later.d.getElementById('f');
    expect(form.querySelector('[name=mid]').value).toBe(MID);
    expect(form.querySelector('[name=rid]').value).toBe(RID);
  });

  it("another message's click rolls the session; the same message again does not", () => {
    const jar = new CookieJar();
    const a = load({ jar, url: EMAIL }).w.rastro.ids();
    vi.advanceTimersByTime(60_000);
    expect(load({ jar, url: EMAIL + '&x=1' }).w.rastro.ids().session_id).toBe(a.session_id);
    vi.advanceTimersByTime(60_000);
    const other = load({ jar, url: EMAIL.replace(MID, MID.slice(0, -1) + '2') }).w.rastro.ids();
    expect(other.session_id).not.toBe(a.session_id);
    expect(other.visitor_id).toBe(a.visitor_id);
  });
});
