// The widget's contact points with the browser and the host page, in plain JavaScript: the page's
// API on window.checkoutChat, dates and numbers in the reader's language, the tab-title notice,
// the chime and the transcript download. Rust keeps the state and decides; doing these here keeps
// the WebAssembly bundle small. Everything the page passes in is checked before Rust sees it.

const EVENTS = ["ready", "open", "close", "message", "unread"];
const METHODS = ["open", "close", "show", "hide", "identify", "setLocale", "reset"];
// The page's cart and checkout calls are the watcher's (watcher.js): handed on, or left queued.
const ACTIVITY = ["cart", "checkout_step", "order_completed", "event", "prompt"];

function warn(message) {
  console.warn("checkout-chat: " + message);
}

function identity(value) {
  const text = (v) => typeof v === "string";
  if (!value || typeof value !== "object" || !(text(value.identity_token) || (text(value.user_id) && text(value.user_hash) && value.user_id.trim()))) {
    return warn("identify needs a string identity_token, or string user_id and user_hash");
  }
  if ((value.name != null && !text(value.name)) || (value.email != null && !text(value.email))) {
    return warn("identify: name and email must be strings");
  }
  const { user_id, name, email, user_hash, identity_token } = value;
  return { user_id, name, email, user_hash, identity_token };
}

const tables = {};
// The translation table for a language tag, from the relay (once per language); null for English
// (compiled in) and when it cannot be had (the widget then stays in English).
function loadStrings(relay, tag) {
  const lang = String(tag).slice(0, 2).toLowerCase();
  if (!["nl", "ar", "fa"].includes(lang)) return Promise.resolve(null);
  return (tables[lang] =
    tables[lang] ||
    fetch(relay + "widget/i18n/" + lang + ".json")
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null)
      .then((table) => table || delete tables[lang] && null)); // a failure is tried again next time
}

// Turns the page's queue into the API, runs what was queued, and returns emit(event, payload).
// `handle(method, argument)` is the widget's side of the METHODS.
export function installApi(queue, handle, relay) {
  const listeners = {};
  let ready = false;
  const call = (name, a, b) => {
    if (ACTIVITY.includes(name)) return queue.watch ? queue.watch(name, a, b) : Array.prototype.push.call(queue, [name, a, b]);
    if (name === "on" || name === "off") {
      if (!EVENTS.includes(a) || typeof b !== "function") {
        return warn(name + " takes an event (" + EVENTS.join(", ") + ") and a function");
      }
      const list = (listeners[a] = listeners[a] || []);
      if (name === "off") return (listeners[a] = list.filter((f) => f !== b));
      list.push(b);
      if (a === "ready" && ready) b();
      return;
    }
    if (!METHODS.includes(name)) return warn('unknown method "' + name + '"');
    if (name === "identify") {
      a = identity(a);
      if (!a) return;
    }
    if (name === "setLocale") {
      if (typeof a !== "string") return warn('setLocale takes a language tag such as "nl" or "ar"');
      return loadStrings(relay, a).then((table) => handle(name, [a, table]));
    }
    handle(name, a);
  };
  const run = (entry) =>
    Array.isArray(entry) && typeof entry[0] === "string"
      ? call(entry[0], entry[1], entry[2])
      : warn('push() takes an array such as ["open"]');
  // Activity calls stay queued for the watcher if it is not there yet.
  const waits = (e) => Array.isArray(e) && ACTIVITY.includes(e[0]) && !queue.watch;
  const queued = Array.prototype.filter.call(queue, (e) => !waits(e));
  const left = Array.prototype.filter.call(queue, waits);
  queue.length = 0;
  Array.prototype.push.apply(queue, left);
  for (const name of METHODS.concat("on", "off")) queue[name] = (a, b) => call(name, a, b);
  queue.push = (...entries) => entries.forEach(run);
  queued.forEach(run);
  return (event, payload) => {
    if (event === "ready") ready = true;
    for (const f of listeners[event] || []) {
      try {
        f(payload);
      } catch (e) {
        setTimeout(() => { throw e; }); // the page's own error, reported as the page's
      }
    }
  };
}

const formats = {};
function format(locale, options) {
  const key = locale + JSON.stringify(options);
  return (formats[key] = formats[key] || new Intl.DateTimeFormat(locale, options));
}

export function formatTime(ms, locale) {
  return format(locale, { hour: "2-digit", minute: "2-digit" }).format(ms);
}

// "Today", "Yesterday", or the date (with the year when it is not this year).
export function formatDay(ms, locale, today, yesterday) {
  const day = (t) => new Date(t).toDateString();
  const now = Date.now();
  if (day(ms) === day(now)) return today;
  if (day(ms) === day(now - 864e5)) return yesterday;
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return format(locale, sameYear ? { day: "numeric", month: "long" } : { day: "numeric", month: "long", year: "numeric" }).format(ms);
}

// The local calendar day of a moment, as a number that changes at local midnight.
export function dayOf(ms) {
  const d = new Date(ms);
  return d.getFullYear() * 512 + d.getMonth() * 32 + d.getDate();
}

export function formatNumber(n, locale) {
  return new Intl.NumberFormat(locale).format(n);
}

let originalTitle = null;
// Shows `text` before the page's title, or (with null) gives the page its title back.
export function titleNotice(text) {
  if (text == null) {
    if (originalTitle != null) document.title = originalTitle;
    originalTitle = null;
    return;
  }
  if (originalTitle == null) originalTitle = document.title;
  document.title = text + " – " + originalTitle;
}

// Two soft notes. Browsers allow sound only after the shopper interacted with the page; a refused
// one is simply not heard.
export function chime() {
  try {
    const context = new AudioContext();
    [880, 1320].forEach((frequency, i) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.06;
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(context.currentTime + i * 0.12);
      oscillator.stop(context.currentTime + i * 0.12 + 0.1);
    });
  } catch (e) {
    /* no sound available */
  }
}

// Saved as "nordhavn-coffee-2026-12-04.txt": the shop's name (or "chat") and the shopper's date.
export function download(text, shop) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  // Accents go (NFKD splits them off as marks), anything else not a-z or 0-9 joins words.
  const name = shop.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "chat";
  link.href = url;
  // Swedish writes dates as YYYY-MM-DD: the shopper's own date in that form.
  link.download = name + "-" + new Date().toLocaleDateString("sv") + ".txt";
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// On phones the on-screen keyboard shrinks the visual viewport but not the layout viewport, so a
// full-screen panel would hide its input under the keyboard: the panel is sized to what is
// visible (the stylesheet uses --cc-vh and --cc-vt only on narrow screens). Set on the app's
// mount point in the shadow root (the page's observers never see it change) through the CSSOM
// (not a style attribute, which a strict policy blocks); the panel inherits them.
export function watchViewport(host) {
  const viewport = window.visualViewport;
  if (!viewport) return;
  const measure = () => {
    host.style.setProperty("--cc-vh", Math.round(viewport.height) + "px");
    host.style.setProperty("--cc-vt", Math.round(viewport.offsetTop) + "px");
  };
  viewport.addEventListener("resize", measure);
  viewport.addEventListener("scroll", measure);
  measure();
}

// On a phone the panel covers the whole page (the stylesheet's 640 px): Tab from its last control
// goes to its first, Shift+Tab from its first to its last, as in a modal dialog.
export function keepFocusIn(event) {
  if (!matchMedia("(max-width:640px)").matches) return;
  const panel = event.currentTarget;
  const controls = [...panel.querySelectorAll("button,input,textarea,select,summary,a[href]")]
    .filter((c) => !c.disabled && c.getClientRects().length);
  const [first, last] = [controls[0], controls[controls.length - 1]];
  const here = panel.getRootNode().activeElement;
  if (first && (event.shiftKey ? here == first : here == last)) {
    event.preventDefault();
    (event.shiftKey ? last : first).focus();
  }
}
