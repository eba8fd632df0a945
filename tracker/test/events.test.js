import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { code, load, useClock, UUID_V4 } from './harness.js';

beforeEach(useClock);
afterEach(() => vi.useRealTimers());

describe('rastro.track()', () => {
  it('sends known types as is and anything else as custom with action = name, keeping only the documented props', async () => {
    const p = load();
    p.w.rastro.track('signup', { category: 'lead', label: 'footer', value: 5, element_id: 'f', element_class: 'c', data: { plan: 'pro' }, evil: 1 });
    p.w.rastro.track('click', { category: 'nav', action: 'open', label: 'menu' });
    await p.flush();
    const [custom] = p.events('custom');
    expect(custom).toMatchObject({
      type: 'custom', action: 'signup', category: 'lead', label: 'footer', value: 5, element_id: 'f', element_class: 'c', data: { plan: 'pro' },
      event_id: expect.stringMatching(UUID_V4), url: 'https://shop.example.com/', view_id: p.events('page_view')[0].view_id,
    });
    expect(custom).not.toHaveProperty('evil');
    expect(p.events('click')[0]).toMatchObject({ type: 'click', category: 'nav', action: 'open', label: 'menu' });
  });

  it('replays calls queued by the stub snippet before the script loaded', async () => {
    const p = load({
      before: (w) => {
        // the documented snippet
        w.eval(
          "window.rastro=window.rastro||{q:[]};['track','page','consent'].forEach(function(m){rastro[m]=rastro[m]||function(){rastro.q.push([m].concat([].slice.call(arguments)))}});",
        );
        w.rastro.track('early_bird', { label: 'x' });
        w.rastro.q.push(['track', 'pushed', { value: 2 }]);
      },
    });
    await p.flush();
    expect(p.events('custom').map((e) => [e.action, e.label, e.value])).toEqual([
      ['early_bird', 'x', undefined],
      ['pushed', undefined, 2],
    ]);
    expect(typeof p.w.rastro.ids).toBe('function');
  });

  it('does not install twice when the tag is included twice', async () => {
    const p = load();
    p.w.eval(code()); // second copy of the tag
    p.w.history.pushState({}, '', '/next');
    await p.flush();
    expect(p.events('page_view')).toHaveLength(2); // not 3/4
  });
});

describe('automatic events', () => {
  const body = `
    <button id="buy" class="btn big" data-rastro-click="buy-now"><span>Buy</span></button>
    <a id="plain" href="/page">Plain link</a>
    <div data-rastro-click><span>  Talk   to sales </span></div>
    <a id="pdf" class="dl" href="/files/catalog.PDF?v=2">Catalog</a>
    <a id="attr" href="/export" download>Export</a>
    <video id="vid" src="https://cdn.example.com/intro.mp4"></video>
    <form id="lead" name="leadform"><input name="email"><button type="submit">Send</button></form>
    <form name="other"><input name="q"></form>`;

  it('click on [data-rastro-click] elements (label from the attribute or the text)', async () => {
    const p = load({ body });
    p.click(p.d.querySelector('#buy span'));
    p.click(p.d.querySelector('div[data-rastro-click] span'));
    p.click(p.d.querySelector('#plain'));
    await p.flush();
    const clicks = p.events('click');
    expect(clicks).toHaveLength(2);
    expect(clicks[0]).toMatchObject({ label: 'buy-now', element_id: 'buy', element_class: 'btn big' });
    expect(clicks[1]).toMatchObject({ label: 'Talk to sales' });
    expect(clicks[1]).not.toHaveProperty('element_id');
  });

  it('download for links with a file extension or the download attribute', async () => {
    const p = load({ body });
    p.click(p.d.querySelector('#pdf'));
    p.click(p.d.querySelector('#attr'));
    p.click(p.d.querySelector('#plain'));
    await p.flush();
    const dl = p.events('download');
    expect(dl.map((e) => e.label)).toEqual(['https://shop.example.com/files/catalog.PDF?v=2', 'https://shop.example.com/export']);
    expect(dl[0]).toMatchObject({ element_id: 'pdf', element_class: 'dl' });
  });

  it('scroll milestones 25/50/75/100 once each per page view', async () => {
    const p = load({ body });
    Object.defineProperty(p.d.documentElement, 'scrollHeight', { value: 4000, configurable: true });
    Object.defineProperty(p.w, 'innerHeight', { value: 1000, configurable: true });
    const scrollTo = (y) => {
      Object.defineProperty(p.w, 'scrollY', { value: y, configurable: true });
      p.w.dispatchEvent(new p.w.Event('scroll'));
    };
    scrollTo(0); // 25% visible
    scrollTo(1000); // 50%
    scrollTo(500); // back up: nothing
    scrollTo(1000);
    scrollTo(3000); // bottom: 75 and 100
    scrollTo(3000);
    await p.flush();
    expect(p.events('scroll').map((e) => e.value)).toEqual([25, 50, 75, 100]);
    // a new page view starts over
    p.w.history.pushState({}, '', '/next');
    scrollTo(1000);
    await p.flush();
    expect(p.events('scroll').map((e) => e.value)).toEqual([25, 50, 75, 100, 25, 50]);
  });

  it('form_start once, form_submit, and form_abandon for a started form when the page is left', async () => {
    const p = load({ body });
    const email = p.d.querySelector('#lead input');
    email.dispatchEvent(new p.w.Event('input', { bubbles: true }));
    email.dispatchEvent(new p.w.Event('input', { bubbles: true }));
    p.d.querySelector('#lead').dispatchEvent(new p.w.Event('submit', { bubbles: true, cancelable: true }));
    p.d.querySelector('form[name=other] input').dispatchEvent(new p.w.Event('input', { bubbles: true }));
    await p.flush();
    expect(p.events().filter((e) => e.type.startsWith('form')).map((e) => [e.type, e.label])).toEqual([
      ['form_start', 'lead'],
      ['form_submit', 'lead'],
      ['form_start', 'other'],
    ]);
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    const abandons = p.events('form_abandon');
    expect(abandons.map((e) => e.label)).toEqual(['other']); // the submitted form is not abandoned
    p.setHidden(false);
    p.w.dispatchEvent(new p.w.Event('pagehide'));
    expect(p.events('form_abandon')).toHaveLength(1); // once
  });

  it('video_play on <video> play', async () => {
    const p = load({ body });
    p.d.querySelector('#vid').dispatchEvent(new p.w.Event('play'));
    await p.flush();
    expect(p.events('video_play')).toEqual([expect.objectContaining({ label: 'https://cdn.example.com/intro.mp4', element_id: 'vid' })]);
  });

  it('data-auto enables only the listed kinds', async () => {
    const p = load({ body, attrs: { 'data-auto': 'clicks' } });
    p.click(p.d.querySelector('#buy'));
    p.click(p.d.querySelector('#pdf'));
    p.d.querySelector('#vid').dispatchEvent(new p.w.Event('play'));
    p.d.querySelector('#lead input').dispatchEvent(new p.w.Event('input', { bubbles: true }));
    Object.defineProperty(p.d.documentElement, 'scrollHeight', { value: 1000, configurable: true });
    p.w.dispatchEvent(new p.w.Event('scroll'));
    await p.flush();
    expect(p.events().map((e) => e.type)).toEqual(['page_view', 'click']);

    const none = load({ body, attrs: { 'data-auto': '' } });
    none.click(none.d.querySelector('#buy'));
    await none.flush();
    expect(none.events().map((e) => e.type)).toEqual(['page_view']);
  });
});
