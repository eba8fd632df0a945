/*
 * Rastro browser tracker — served at /t.js.
 *
 *   <script defer src="https://HOST/t.js" data-site="SITE_KEY"></script>
 *
 * Readable source; `npm run build` minifies it to dist/t.js (budget: 3.1 KB gzipped).
 * Everything the page can reach (listeners, timers, the public API) is wrapped in
 * `safe()` so that nothing here can throw into the host page. See README.md.
 */

// Attribution parameters read from the landing URL, in the order they are stored; `mid` and
// `rid` are a Rastro e-mail click's message and recipient, kept with the touch like a click id.
const KEYS = 'utm_source utm_medium utm_campaign utm_id utm_term utm_content gclid gbraid wbraid fbclid ttclid li_fat_id msclkid src sck xcod mid rid'.split(' ');
const UTM = KEYS.slice(0, 6);
// Every touch field that may be copied into a form's hidden inputs.
const FIELDS = KEYS.concat('fbc', 'fbp');
const TYPES = 'page_view page_leave click scroll form_start form_abandon form_submit video_play download custom'.split(' ');
const EVENT_PROPS = 'category action label value element_id element_class data'.split(' ');
const SESSION_MS = 18e5; // 30 min of inactivity rolls the session
const MAX_QUEUE = 100;
const MAX_TRIES = 3;
const DOWNLOAD = /\.(pdf|zip|(doc|xls|ppt)x|csv|mp[34]|exe|dmg)$/i; // pdf zip docx xlsx pptx csv mp3 mp4 exe dmg
const V = '_rastro_v', S = '_rastro_s', A_ = '_rastro_a', C = '_rastro_c';
// Consent purposes, as Google's consent mode names them; `analytics` first (see consent()).
const PURPOSES = 'analytics ad_user_data ad_personalization'.split(' ');

const now = () => Date.now();
// Wrap a function so that it can never throw (no console noise, no broken host page).
const safe = (f) => (...args) => {
  try {
    return f(...args);
  } catch (e) {}
};
// Drop empty keys (null/undefined/'') so payloads and cookies stay compact.
const clean = (o) => {
  for (const k in o) if (o[k] == null || o[k] === '') delete o[k];
  return o;
};
const attrOf = (el, name) => el.getAttribute(name);
const random = (n) => crypto.getRandomValues(new Uint8Array(n));
// 24 random base36 chars (~124 bits) from the CSPRNG.
const randomId = () => [...random(24)].map((b) => (b % 36).toString(36)).join('');
const uuid = () =>
  crypto.randomUUID
    ? crypto.randomUUID()
    : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
        (c ^ (random(1)[0] & (15 >> (c / 4)))).toString(16));

function init(w, d) {
  const nav = navigator;
  const loc = location;
  if (w.rastro && w.rastro.ids) return; // included twice
  const script = d.currentScript || d.querySelector('script[data-site]');
  const site = script && attrOf(script, 'data-site');
  if (!site) return;
  const config = (name) => attrOf(script, 'data-' + name);
  const endpoint = config('endpoint') || new URL(script.src, loc.href).origin + '/api/collect';
  const maxAge = (+config('cookie-days') || 90) * 864e2;
  const autoAttr = config('auto');
  // data-auto absent: every automatic event kind is on.
  const on = (kind) => autoAttr == null || autoAttr.split(/\s+/).includes(kind);
  const screenSize = screen.width + 'x' + screen.height;
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  // ---- cookies (first-party, never written without consent) ----
  const getCookie = (name) => {
    try {
      const m = d.cookie.match('(^|; )' + name + '=([^;]*)');
      return m ? decodeURIComponent(m[2]) : '';
    } catch (e) {
      return '';
    }
  };
  const setCookie = (name, value, age) => {
    if (consent)
      try {
        d.cookie = name + '=' + encodeURIComponent(value) + ';path=/;max-age=' + age + ';samesite=lax' + (loc.protocol == 'https:' ? ';secure' : '');
      } catch (e) {}
  };

  // A visitor cookie can only exist if consent was given before, so it counts as consent.
  let consent = config('require-consent') == null || !!getCookie(V);
  // The purposes granted through rastro('consent', {...}), comma-separated ('' = not asked):
  // sent with every batch and in forms' `rastro_consent`, kept in the _rastro_c cookie.
  let granted = getCookie(C);
  // Set by a withdrawal: nothing is even queued until consent is given again.
  let paused;
  let visitorId = getCookie(V) || randomId();
  let sessionId;
  let lastEvent = now();
  let touches = {}; // {f: first touch, l: last touch}
  try {
    touches = JSON.parse(getCookie(A_)) || {};
  } catch (e) {}

  // ---- attribution: a landing URL carrying any known parameter is a new touch ----
  const params = new URLSearchParams(loc.search);
  const touch = {};
  let isNewTouch;
  KEYS.forEach((k) => {
    const v = params.get(k);
    if (v) (touch[k] = v.slice(0, 255)), (isNewTouch = 1);
  });
  const signature = (t) => KEYS.map((k) => (t && t[k]) || '').join('|');
  // A touch from a different campaign / click id than the stored last touch starts a new session.
  const rollSession = isNewTouch && signature(touch) != signature(touches.l);
  let fbc = getCookie('_fbc');
  // Meta's format: fb.<subdomain index>.<creation ms>.<fbclid>
  if (touch.fbclid && !fbc) fbc = 'fb.1.' + now() + '.' + touch.fbclid;
  if (isNewTouch) {
    touch.landing_url = loc.href.slice(0, 255);
    touch.referrer = d.referrer.slice(0, 255);
    touch.ts = now();
    touches.l = touch;
    touches.f = touches.f || touch;
  }
  if (touches.l) Object.assign(touches.l, clean({ fbc, fbp: getCookie('_fbp') }));

  // ---- session: rolled after 30 min without events, or by a new campaign ----
  // The _rastro_s cookie lives 30 min and is refreshed by every event (in any tab), so an idle
  // session has expired with its cookie; without cookies (no consent yet, blocked) lastEvent decides.
  const session = (force) => {
    const t = now();
    sessionId = (!force && (getCookie(S) || (t - lastEvent < SESSION_MS && sessionId))) || randomId();
    lastEvent = t;
    setCookie(S, sessionId, SESSION_MS / 1e3);
  };
  const save = () => {
    setCookie(V, visitorId, maxAge);
    if (touches.l) setCookie(A_, JSON.stringify(touches), maxAge);
    setCookie(S, sessionId, SESSION_MS / 1e3);
  };

  // ---- transport: batched, retried, beacon on unload ----
  const queue = [];
  let timer = 0;

  // POST one batch. A failed try is repeated after 1 s, then 2 s (MAX_TRIES in all) with the
  // same event_ids, so the server can drop duplicates. On unload, sendBeacon goes first.
  const post = (payload, attempt, unloading) => {
    payload.sent_at = now();
    const body = JSON.stringify(payload);
    const again = () => {
      if (attempt < MAX_TRIES - 1) setTimeout(() => post(payload, attempt + 1), 1e3 << attempt);
    };
    try {
      if (unloading && nav.sendBeacon(endpoint, body)) return;
    } catch (e) {}
    try {
      // A string body is sent as "text/plain;charset=UTF-8" by both fetch and sendBeacon:
      // a CORS "simple" request, so no preflight.
      fetch(endpoint, { method: 'POST', body, keepalive: true })
        .then((r) => {
          if (r.status > 499) throw 0;
        })
        .catch(again);
    } catch (e) {
      again();
    }
  };

  const flush = safe((unloading) => {
    clearTimeout(timer);
    timer = 0;
    if (consent && queue.length)
      post(
        {
          site,
          visitor_id: visitorId,
          session_id: sessionId,
          context: { screen: screenSize, language: nav.language, timezone, consent: granted || true },
          touch: { first: touches.f, last: touches.l },
          events: queue.splice(0),
        },
        0,
        unloading,
      );
  });

  // The current page view. acc: visible ms so far; shown: when it last became visible (0 = hidden);
  // depth: highest scroll milestone sent; forms: started form -> 1 once submitted/abandoned; left: page_leave sent.
  let viewId, viewUrl, acc, shown, depth, forms, left;
  const emit = (type, props) => {
    if (paused) return;
    session();
    queue.push(clean(Object.assign({ event_id: uuid(), type, ts: now(), url: viewUrl || loc.href, view_id: viewId }, props)));
    if (queue.length > MAX_QUEUE) queue.shift();
    if (queue.length > 9) flush();
    else if (!timer) timer = setTimeout(flush, 1e3);
  };

  // ---- page views and time on page ----
  const tick = () => {
    const t = now();
    if (shown) acc += t - shown;
    shown = !d.hidden ? t : 0;
  };
  // Events about an element; getAttribute avoids DOM clobbering (form.id can be an <input name="id">).
  const elementEvent = (type, el, label) => emit(type, { label, element_id: attrOf(el, 'id'), element_class: attrOf(el, 'class') });
  const formEvent = (type, form) => elementEvent(type, form, attrOf(form, 'id') || attrOf(form, 'name'));

  const page = (referrer) => {
    viewId = uuid();
    viewUrl = loc.href;
    acc = depth = left = shown = 0;
    tick();
    forms = new Map();
    emit('page_view', { referrer, title: d.title, screen: screenSize, language: nav.language });
  };
  // exit=true: the tab was hidden / the document unloaded; exit=false: SPA navigation.
  // Hidden-then-visible-again views may send page_leave more than once (cumulative time).
  const leave = (exit) => {
    if (left) return;
    tick();
    left = 1;
    emit('page_leave', { time_on_page: Math.round(acc / 1e3), exit });
    forms.forEach((done, form) => {
      if (!done) {
        forms.set(form, 1);
        formEvent('form_abandon', form);
      }
    });
  };
  // SPA navigation / manual page view: close the current view, open a new one referred by it.
  const nextView = () => {
    const prev = viewUrl;
    leave(false);
    page(prev);
  };
  const navigated = safe(() => loc.href != viewUrl && nextView()); // same-URL repeats are ignored

  // ---- forms and links carry attribution ----
  // Without consent (withdrawn) the ids and campaign fields are emptied, the consent says none.
  const fill = safe((form) => {
    const last = (consent && touches.l) || {};
    const values = consent ? clean({ rastro_session_id: sessionId, rastro_visitor_id: visitorId, rastro_consent: granted }) : { rastro_session_id: '', rastro_visitor_id: '', rastro_consent: 'none' };
    FIELDS.forEach((k) => (consent ? last[k] && (values[k] = last[k]) : (values[k] = '')));
    const appendAll = form.hasAttribute('data-rastro-form');
    for (const name in values) {
      let input = form.querySelector('input[name="' + name + '"]');
      if (!input && appendAll && values[name]) {
        form.appendChild((input = Object.assign(d.createElement('input'), { type: 'hidden', name })));
      }
      if (input && input.type == 'hidden') input.value = values[name];
    }
  });
  const decorate = safe((a) => {
    if (!consent) return;
    const url = new URL(a.href);
    const p = url.searchParams;
    const last = touches.l || {};
    let href;
    if (a.hasAttribute('data-rastro-checkout')) {
      const add = {
        src: last.utm_source || last.src,
        // source|medium|campaign|content|term, trailing empty parts dropped
        sck: last.sck || [0, 1, 2, 5, 4].map((i) => last[UTM[i]]).join('|').replace(/\|+$/, ''),
      };
      UTM.forEach((k) => (add[k] = last[k]));
      for (const k in add) if (add[k] && !p.has(k)) p.set(k, add[k]);
      href = url.href;
    }
    if (a.hasAttribute('data-rastro-whatsapp')) {
      const text = ((p.get('text') || '').replace(/\s*\[ref:\w+\]/, '') + ' [ref:' + sessionId.slice(0, 6).toUpperCase() + ']').trim();
      p.set('text', text);
      url.search = (p + '').replace(/\+/g, '%20'); // spaces as %20 (a literal "+" is already %2B)
      href = url.href;
    }
    if (href) a.href = href;
  });
  const scan = () => {
    d.querySelectorAll('a[data-rastro-checkout],a[data-rastro-whatsapp]').forEach(decorate);
    d.querySelectorAll('form').forEach(fill);
  };

  // ---- start ----
  session(rollSession);
  save();
  page(d.referrer);

  const listen = (target, type, fn, opts) => target.addEventListener(type, safe(fn), opts);

  const history = w.history;
  ['pushState', 'replaceState'].forEach((m) => {
    const orig = history[m];
    history[m] = (...args) => {
      const r = orig.apply(history, args);
      navigated();
      return r;
    };
  });
  listen(w, 'popstate', navigated);
  listen(d, 'visibilitychange', () => {
    if (!d.hidden) {
      tick();
      left = 0;
    } else {
      leave(true);
      flush(true);
    }
  });
  listen(w, 'pagehide', () => {
    leave(true);
    flush(true);
  });

  // Decorate a checkout / WhatsApp link right before it is followed (current session / touch).
  const decorateFrom = (e) => {
    const a = e.target.closest('a[href]');
    if (a) decorate(a);
    return a;
  };
  listen(d, 'mousedown', decorateFrom, true);
  listen(
    d,
    'click',
    (e) => {
      const t = e.target;
      const a = decorateFrom(e);
      const el = t.closest('[data-rastro-click]');
      if (el && on('clicks'))
        elementEvent('click', el, attrOf(el, 'data-rastro-click') || el.textContent.replace(/\s+/g, ' ').trim().slice(0, 100));
      if (a && on('downloads') && (a.hasAttribute('download') || DOWNLOAD.test(a.pathname)))
        elementEvent('download', a, a.href);
    },
    true,
  );

  on('scroll') &&
  listen(
    w,
    'scroll',
    () => {
      const h = d.documentElement.scrollHeight;
      if (!h) return;
      const pct = ((w.scrollY + w.innerHeight + 2) / h) * 100;
      [25, 50, 75, 100].forEach((m) => {
        if (pct >= m && m > depth) {
          depth = m;
          emit('scroll', { value: m });
        }
      });
    },
    { passive: true },
  );

  listen(
    d,
    'input',
    (e) => {
      const form = e.target.form;
      if (!form || forms.has(form)) return;
      fill(form);
      if (on('forms')) {
        forms.set(form, 0);
        formEvent('form_start', form);
      }
    },
    true,
  );
  listen(
    d,
    'submit',
    (e) => {
      const form = e.target;
      fill(form);
      if (on('forms')) {
        forms.set(form, 1);
        formEvent('form_submit', form);
      }
    },
    true,
  );

  listen(
    d,
    'play',
    (e) => {
      const v = e.target;
      if (v.tagName == 'VIDEO' && on('video')) elementEvent('video_play', v, v.currentSrc || v.src || attrOf(v, 'title'));
    },
    true,
  );

  // Elements added later are handled when used: forms on first input and on submit, links on
  // mousedown/click (before the browser follows them).
  scan();

  // ---- public API ----
  const api = {
    track: safe((type, props) => {
      props = props || {};
      const e = {};
      EVENT_PROPS.forEach((k) => (e[k] = props[k]));
      JSON.stringify(e); // unserialisable data throws here, instead of losing the whole batch later
      if (!TYPES.includes(type)) {
        e.action = type;
        type = 'custom';
      }
      emit(type, e);
    }),
    page: safe(nextView),
    // true / false: every purpose or none; {analytics, ad_user_data, ad_personalization}:
    // each purpose set to true is granted. Without analytics nothing is stored or sent.
    // A change applies from the next event: what was queued before goes out first, under
    // the consent it happened with. The session goes on (its id is kept in memory).
    consent: safe((given) => {
      flush();
      granted = PURPOSES.filter((p) => given === true || (given && given[p] === true)).join();
      if (granted[1] == 'n') {
        // 'analytics...' (not 'ad_...'): analytics is granted
        consent = true;
        paused = 0;
        save();
        setCookie(C, granted, maxAge);
        flush();
      } else {
        [V, S, A_, C].forEach((n) => setCookie(n, '', 0)); // delete while still allowed to write
        paused = consent;
        consent = false;
        queue.length = 0;
      }
      scan();
    }),
    ids: () => ({ visitor_id: visitorId, session_id: sessionId }),
  };
  const stub = w.rastro;
  w.rastro = api;
  // Replay calls made before the script loaded: rastro.q = [['track', 'signup', {...}], ['consent', true], ...]
  if (stub && stub.q) stub.q.forEach(safe((call) => api[call[0]](...call.slice(1))));
}

try {
  init(window, document);
} catch (e) {}
