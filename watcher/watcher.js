// checkout-chat watcher: the part of the widget on every page (loaded by widget.js when the page
// is idle; the chat app itself loads only when the shopper chats). It records what the shopper
// does (page views, the cart, the checkout step, orders, the shop's own events, GA4 e-commerce
// events in `dataLayer`), sends it in batches on its own visitor socket (`activity_only`), and
// every second (at once on an exit intent) asks the rule engine (WebAssembly, shared with the
// relay) whether a proactive prompt should show, which it then draws. See docs/cart-events.md.
//
// Activity waits in memory, and in localStorage across pages, until the relay acknowledges it;
// the relay stores a batch sent twice once. Nothing here may throw into the shop's page.

import init, { rules, decide, dismissed } from "./checkout-chat-watcher.js";

const ACTIVITY = ["cart", "checkout_step", "order_completed", "event", "prompt"];
const SESSION_MS = 30 * 60 * 1000;
const BATCH = 50;
const BATCH_BYTES = 12000; // a frame over 16 KiB would end the connection
const MAX_BATCHES = 20; // at most 1,000 activities wait for a connection; older ones go
const TYPING_MS = 4000; // a pause this long in a page's field ends "typing"
// The bubble's name and its close button's, per language.
const WORDS = {
  en: ["A message from us", "No thanks"],
  nl: ["Een bericht van ons", "Nee, bedankt"],
  ar: ["رسالة منّا", "لا، شكرًا"],
  fa: ["پیامی از ما", "نه، ممنون"],
};
const GA_STEPS = { view_cart: "cart", begin_checkout: "shipping", add_shipping_info: "payment", add_payment_info: "review" };

const page = { step: null, stepSince: 0, lastActive: Date.now(), currency: null, total: 0, items: 0, events: [] };
let config; // {shop, relay, locale, root, side, rtl, open([rule, reply, text], opened), css(text)}
let prefix;
let session = { id: "", returning: false };
let unsent = [];
let batches = [];
let flushTimer = 0;
let socket = null;
let live = false;
let token = null; // the token this socket said hello with
let retry = 1000;
let agentsOnline;
let chatOpen = false;
let bubble = null;
let history = ""; // which prompts showed when, and which were dismissed (rules' History)
let region = null; // the live region the bubble goes into, there before it (so it is announced)
let pendingNamed = null; // a rule the page named before the shop's rules arrived
let welcomed; // resolves at the first welcome: the visitor is known
let reconnecting = false;
let waits = 0; // seconds waited for the chat app's new token
let seenLayer = 0;
let lastKeyAt = 0;
let shopName = ""; // who the bubble speaks for, from the welcome
let snippet; // what the page's script tag set itself (colour, corner), which the console does not override
let lastTouchAt = 0;
const gaCart = [];

function warn(message) {
  console.warn("checkout-chat: " + message);
}

function read(key, raw) {
  try {
    const value = localStorage.getItem(prefix + key);
    return raw ? value : JSON.parse(value);
  } catch (e) {
    return null;
  }
}

function write(key, value, raw) {
  try {
    localStorage.setItem(prefix + key, raw ? value : JSON.stringify(value));
  } catch (e) {
    /* storage full or blocked: only persistence across pages is lost */
  }
}

function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The browser's visit: a new one after 30 minutes without activity. A visit that begins when
// this browser already has a visitor token is a returning visitor's.
function touchSession() {
  const now = Date.now();
  let s = read("session");
  if (!s || typeof s.id !== "string" || !(now - s.last < SESSION_MS)) {
    s = { id: randomId(), returning: read("token", true) != null };
    write("context", null);
  }
  s.last = now;
  write("session", s);
  write("session-id", s.id, true); // for the chat app's hello
  session = s;
}

// Starts watching: `queue` is the page's window.checkoutChat. Resolves once the relay has said
// who the visitor is (or after 3 s), so that the chat app, loading meanwhile, is the same one.
export async function start(options, queue) {
  config = options;
  snippet = { color: config.color, position: config.position };
  prefix = "checkout-chat:" + config.shop + ":";
  await init({ module_or_path: new URL("checkout-chat-watcher_bg.wasm", import.meta.url) });
  touchSession();
  const context = read("context");
  if (context) Object.assign(page, context);
  // Adopted from earlier pages: this one sends them (a copy sent twice is stored once).
  batches = (read("activity") || []).filter((b) => b && typeof b.id === "string" && Array.isArray(b.events));
  write("activity", null);
  region = document.createElement("div");
  region.setAttribute("role", "status");
  config.root.append(region);
  // Calls made on the last page before the watcher got there, then this page's (newer) ones.
  const calls = read("calls");
  write("calls", null);
  if (Array.isArray(calls)) calls.forEach((e) => Array.isArray(e) && pageSays(e[0], e[1], e[2]));
  takeCalls(queue);
  record({ kind: "page_view", path: clip(location.pathname, 1000), title: clip(document.title, 200), referrer: clip(document.referrer, 1000) });
  watchShopper();
  const known = new Promise((resolve) => {
    welcomed = resolve;
    setTimeout(resolve, 3000);
  });
  connect();
  setInterval(tick, 1000);
  readLayer();
  return known;
}

// The page's activity calls go to the watcher, those queued before it loaded included; the
// rest stay for the chat app. The app hands activity calls on through queue.watch.
function takeCalls(queue) {
  const mine = (entry) => Array.isArray(entry) && ACTIVITY.includes(entry[0]);
  const queued = Array.prototype.filter.call(queue, mine);
  const rest = Array.prototype.filter.call(queue, (e) => !mine(e));
  queue.length = 0;
  Array.prototype.push.apply(queue, rest);
  const push = queue.push;
  queue.watch = (name, a, b) => pageSays(name, a, b);
  queue.push = function (...entries) {
    const others = entries.filter((e) => !(mine(e) && (pageSays(e[0], e[1], e[2]), true)));
    return others.length ? push.apply(queue, others) : queue.length;
  };
  queued.forEach((e) => pageSays(e[0], e[1], e[2]));
  // Whether the chat is open: a prompt never shows over it, and opening it answers one.
  queue.push(["on", "open", () => {
    chatOpen = true;
    if (bubble) accept(null, true);
  }]);
  queue.push(["on", "close", () => (chatOpen = false)]);
}

// Typing: the focus is in a frame of the page (a payment provider's card fields: their keys
// never reach the page, so a focused frame counts as typing), or a key went down in the last few
// seconds in one of its text fields, also inside other components' shadow roots. The widget's
// own fields do not count: the focus is then on its host element, whose root is not followed.
function typingInPage() {
  let field = document.activeElement;
  while (field && field.shadowRoot && field !== config.root.host && field.shadowRoot.activeElement) {
    field = field.shadowRoot.activeElement;
  }
  if (!field) return false;
  if (field.tagName == "IFRAME") return true;
  const text = field.isContentEditable || field.tagName == "TEXTAREA" ||
    (field.tagName == "INPUT" && !/^(checkbox|radio|button|submit|reset|range|color|file|image)$/.test(field.type));
  return text && Date.now() - lastKeyAt < TYPING_MS;
}

function watchShopper() {
  // A bubble on screen moves when what it must keep clear of does: the focus goes to another
  // field, the page scrolls or the window changes size.
  const replace = () => bubble && place();
  document.addEventListener("focusin", replace, true);
  addEventListener("resize", replace);
  addEventListener("scroll", replace, { passive: true });
  const touch = (e) => {
    const now = (page.lastActive = Date.now());
    if (e && e.type == "keydown" && e.key != "Tab") lastKeyAt = now;
    if (e && e.type[0] == "t") lastTouchAt = now;
  };
  for (const type of ["pointermove", "pointerdown", "keydown", "touchstart", "touchmove"]) {
    addEventListener(type, touch, { passive: true, capture: true });
  }
  // Exit intent: the pointer leaving through the top of the window; on touch screens, coming
  // back to the tab, or a flick up to the top of the page (towards the address bar and the
  // tabs): more than a screen's height up within half a second, ending in the top half screen,
  // with a finger on the screen just before (not a "back to top" button or a status-bar tap).
  // Scrolling back up a product list is slower, or stops further down.
  const touchScreen = matchMedia("(pointer: coarse)").matches;
  document.addEventListener("mouseout", (e) => !e.relatedTarget && e.clientY <= 0 && exitIntent());
  const recent = []; // [time, scrollY] over the last half second
  addEventListener("scroll", () => {
    const now = Date.now();
    touch();
    recent.push([now, scrollY]);
    while (now - recent[0][0] > 500) recent.shift();
    const rise = Math.max(...recent.map((r) => r[1])) - scrollY;
    if (touchScreen && now - lastTouchAt < 1500 && scrollY < innerHeight / 2 && rise > innerHeight) {
      recent.length = 0;
      exitIntent();
    }
  }, { passive: true });
  let away = false;
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      away = true;
      return keep();
    }
    if (away && touchScreen) exitIntent();
    away = false;
  });
  addEventListener("pagehide", keep);
}

// At most `max` characters (code points, as the relay counts them), control characters as spaces.
function clip(text, max) {
  return Array.from(String(text || "").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")).slice(0, max).join("");
}

function bytes(value) {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

// ---- The socket: hello as the same visitor as the chat app, activity batches, acks. ----

function connect() {
  token = read("token", true);
  // Coming back without a token (the chat app is forgetting this visitor): give the app a few
  // seconds to make the new one, rather than making a second.
  if (!token && reconnecting && waits++ < 4) return setTimeout(connect, 1000);
  reconnecting = false;
  waits = 0;
  const url = config.relay.replace(/^http/, "ws") + "v1/visitor";
  try {
    socket = new WebSocket(url);
  } catch (e) {
    return;
  }
  socket.onopen = () => {
    const hello = { type: "hello", shop: config.shop, session_id: session.id, activity_only: true, locale: config.locale };
    if (token) hello.token = token;
    socket.send(JSON.stringify(hello));
  };
  socket.onmessage = (message) => {
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    if (frame.type === "welcome") {
      live = true;
      retry = 1000;
      // A new visitor (the first visit, or one the relay did not know): kept, unless the chat
      // app has meanwhile stored its own.
      const stored = read("token", true);
      if (!stored || stored === token) write("token", frame.token, true);
      token = frame.token;
      agentsOnline = frame.agents_online > 0;
      showShop(frame);
      welcomed();
      send(true);
      if (pendingNamed) show(pendingNamed);
      pendingNamed = null;
    } else if (frame.type === "shop") showShop(frame);
    else if (frame.type === "presence") agentsOnline = frame.agents_online > 0;
    else if (frame.type === "activity_ack") batches = batches.filter((b) => b.id !== frame.batch_id);
    else if (frame.type === "error" && frame.client_id) {
      const refused = batches.find((b) => b.id === frame.client_id);
      // Refused for now: sent again with the next tick. For good (the page gave something the
      // relay will never take): dropped.
      if (frame.code === "unavailable" || frame.code === "rate_limited") {
        if (refused) refused.sent = false;
      } else batches = batches.filter((b) => b !== refused);
    }
  };
  socket.onclose = (event) => {
    live = false;
    socket = null;
    if (event.code === 1008) return welcomed(); // not this shop, or not this page: the chat says why
    // Too large a frame (it should not happen: batches are split): the largest one goes.
    if (event.code === 1009) batches = batches.filter((b) => b !== batches.reduce((a, b) => (bytes(b) > bytes(a) ? b : a)));
    reconnecting = true;
    setTimeout(connect, retry * (0.5 + Math.random()));
    retry = Math.min(retry * 2, 30000);
  };
}

// The shop as its admin set it in the console (in the welcome, and again when they change it):
// the bubble's name, the rules, and the launcher's colour and corner over the loader's defaults.
// The snippet's own data-color and data-position win: the page said so (a shop with several
// storefronts may colour each).
function showShop(frame) {
  shopName = frame.shop_name;
  if (frame.rules) rules(frame.rules);
  const look = frame.look;
  const colour = /^#[0-9a-f]{6}$/;
  if (!look || !colour.test(look.accent) || !colour.test(look.on_accent)) return;
  let sheet = "";
  if (!snippet.color) {
    // A light accent takes dark text; the prompt's reply buttons, accent on white, then too.
    sheet = ":host{--cc-accent:" + look.accent + ";--cc-on-accent:" + look.on_accent + "}.cc-launcher{color:var(--cc-on-accent)}" +
      (look.on_accent != "#ffffff" ? ".cc-prompt-replies button{color:#1f2937}" : "");
  }
  if (!snippet.position) {
    // One declaration, as the loader writes it (the bubble flips it to the other side).
    config.side = { left: "left:20px", right: "right:20px" }[look.position] || "inset-inline-end:20px";
    config.position = look.position; // the chat app, once it loads, opens in the same corner
    sheet += ".cc-launcher{left:auto;right:auto;inset-inline-end:auto;" + config.side + "}";
  }
  if (sheet) config.css(sheet);
}

function tick() {
  readLayer();
  // The chat app changed who the visitor is (reset, another user): follow it.
  if (socket && live && read("token", true) !== token) socket.close();
  send(false);
  show(null);
}

function exitIntent() {
  page.exit = true;
  show(null);
  page.exit = false;
}

// Keeps what is not yet acknowledged for the next page of the shop.
function keep() {
  flush();
  if (!batches.length) return;
  const stored = read("activity") || [];
  write("activity", stored.concat(batches.filter((b) => !stored.some((s) => s.id === b.id))).slice(-MAX_BATCHES));
}

function record(body) {
  unsent.push({ at_ms: Date.now(), body });
  touchSession();
  clearTimeout(flushTimer);
  flushTimer = setTimeout(flush, 300);
}

// Batches of at most 50 activities and 12 KB (an activity is at most 8 KB: the relay says so).
function flush() {
  let events = [];
  let filled = 0;
  for (const activity of unsent.splice(0)) {
    const size = bytes(activity);
    if (events.length && (events.length === BATCH || filled + size > BATCH_BYTES)) {
      batches.push({ id: randomId(), events });
      [events, filled] = [[], 0];
    }
    events.push(activity);
    filled += size;
  }
  if (events.length) batches.push({ id: randomId(), events });
  batches = batches.slice(-MAX_BATCHES);
  send(false);
}

function send(again) {
  if (!live || !socket) return;
  for (const b of batches) {
    if (again || !b.sent) {
      socket.send(JSON.stringify({ type: "activity", batch_id: b.id, events: b.events }));
      b.sent = true;
    }
  }
}

// ---- What the page says ----

function saveContext() {
  write("context", { step: page.step, stepSince: page.stepSince, currency: page.currency, total: page.total, items: page.items });
}

// Hundredths of the currency's unit, or NaN.
function amount(value) {
  return typeof value === "number" && value >= 0 && value <= 1e10 ? Math.round(value * 100) : NaN;
}

function currency(value) {
  return typeof value === "string" && /^[a-z]{3}$/i.test(value) ? value.toUpperCase() : null;
}

function label(value) {
  return typeof value === "string" && value.trim() && Array.from(value).length <= 200 && !/[\u0000-\u001f\u007f-\u009f]/.test(value);
}

// A cart from the page: {currency, total, items: [{sku, name, qty, price}]}; null if bad.
function cartOf(value) {
  if (!value || typeof value !== "object" || !currency(value.currency) || !Array.isArray(value.items) || value.items.length > 50) return null;
  const items = [];
  for (const i of value.items) {
    const price = amount(i && i.price);
    const sku = i && (typeof i.sku === "number" ? String(i.sku) : i.sku);
    const qty = i && i.qty;
    if (!label(sku) || (i.name != null && typeof i.name !== "string") || !(Number.isInteger(qty) && qty >= 0 && qty <= 1e5) || !(price >= 0)) return null;
    items.push({ sku, name: clip(i.name, 100), qty, price });
  }
  const total = value.total == null ? items.reduce((sum, i) => sum + i.price * i.qty, 0) : amount(value.total);
  const cart = { kind: "cart", currency: currency(value.currency), total, items };
  // The relay takes a cart of at most 8 KB (50 lines of ordinary names and skus fit easily).
  return total >= 0 && total <= 1e12 && bytes(cart) <= 8000 ? cart : null;
}

function setCart(cart) {
  record(cart);
  page.currency = cart.currency;
  page.total = cart.total;
  page.items = cart.items.reduce((n, i) => n + i.qty, 0);
  saveContext();
}

function setStep(step) {
  record({ kind: "checkout_step", step });
  if (step !== page.step) [page.step, page.stepSince] = [step, Date.now()];
  saveContext();
}

// ["cart", {...}], ["checkout_step", {step}], ["order_completed", {...}], ["event", name, data],
// ["prompt", rule_id]. A bad call is warned about and changes nothing.
function pageSays(name, a, b) {
  if (name === "cart") {
    const cart = cartOf(a);
    return cart ? setCart(cart) : warn("cart takes {currency, total, items: [{sku, name, qty, price}]} (at most 50 lines): see docs/cart-events.md");
  }
  if (name === "checkout_step") {
    const step = a && typeof a === "object" ? a.step : a;
    return label(step) ? setStep(step) : warn('checkout_step takes {step}, such as {step: "payment"}');
  }
  if (name === "order_completed") {
    const total = amount(a && a.total);
    const id = a && (typeof a.order_id === "number" ? String(a.order_id) : a.order_id);
    if (!(label(id) && total >= 0 && currency(a.currency))) return warn("order_completed takes {order_id, total, currency}");
    record({ kind: "order_completed", order_id: id, total, currency: currency(a.currency) });
    Object.assign(page, { step: null, currency: null, total: 0, items: 0 });
    return saveContext();
  }
  if (name === "event") {
    let data;
    try {
      data = b === undefined ? undefined : JSON.parse(JSON.stringify(b));
    } catch (e) {}
    if (!label(a) || (b !== undefined && (data === undefined || bytes(data) > 2048))) {
      return warn("event takes a name and optional data that is JSON of at most 2 KB");
    }
    record({ kind: "custom", name: a, data });
    page.events = page.events.concat(a).slice(-50);
    return show(null);
  }
  if (!label(a)) return warn("prompt takes the id of one of the shop's rules");
  if (!live) pendingNamed = a; // the shop's rules are not here yet
  return show(a);
}

// GA4 e-commerce events in the page's dataLayer (also those pushed before the widget loaded),
// read by position each second, so another script wrapping dataLayer.push changes nothing.
function readLayer() {
  const layer = window.dataLayer;
  if (!Array.isArray(layer)) return;
  for (; seenLayer < layer.length; seenLayer++) {
    try {
      const entry = layer[seenLayer];
      // gtag() pushes its `arguments`: ["event", name, params].
      if (entry && entry[0] === "event") ga4(entry[1], entry[2] || {});
      else if (entry && typeof entry.event === "string") ga4(entry.event, entry.ecommerce || {});
    } catch (e) {
      /* a strange entry is skipped */
    }
  }
}

function ga4(name, params) {
  const lines = (Array.isArray(params.items) ? params.items : []).map((i) => ({
    sku: String(i.item_id || i.item_name || ""),
    name: String(i.item_name || ""),
    qty: Number.isInteger(i.quantity) ? i.quantity : 1,
    price: typeof i.price === "number" ? i.price : 0,
  }));
  const whole = name in GA_STEPS; // these carry the whole cart
  if (name === "add_to_cart" || name === "remove_from_cart" || whole) {
    if (whole) gaCart.length = 0;
    for (const line of lines) {
      const known = gaCart.find((i) => i.sku === line.sku);
      const qty = (known ? known.qty : 0) + (name === "remove_from_cart" ? -line.qty : line.qty);
      if (known) known.qty = Math.max(0, qty);
      else if (qty > 0) gaCart.push(line);
    }
    const total = whole && typeof params.value === "number" ? params.value : undefined;
    const cart = cartOf({ currency: params.currency || page.currency, items: gaCart.filter((i) => i.qty > 0), total });
    if (cart) setCart(cart);
  }
  if (whole) setStep(GA_STEPS[name]);
  if (name === "purchase") {
    pageSays("order_completed", { order_id: params.transaction_id, total: params.value, currency: params.currency });
    gaCart.length = 0;
  }
}

// ---- Prompts ----

// Asks the rule engine whether a prompt shows now (or the one the shop's code named); draws it.
function show(named) {
  // Not while the shopper types in a field of the page (a card number, an address): the rules
  // are asked again on the next tick. A prompt the shop's code asks for by name, and an exit
  // intent (a moment that does not come again), still show.
  if (!named && !page.exit && typingInPage()) return;
  history = read("prompts", true) || ""; // another tab may have dismissed one meanwhile
  const answer = decide(history, session.id, config.locale, named, Date.now(), location.pathname, page.step,
    page.stepSince, page.lastActive, page.currency, page.total, page.items, !!page.exit, !!session.returning,
    page.events.join("\n"), agentsOnline, chatOpen, !!bubble);
  if (!answer) return;
  const [kept, prompt] = answer.split("\u001e");
  remember(kept);
  const [rule, text, ...replies] = prompt.split("\u001f");
  draw(rule, text, replies);
  record({ kind: "prompt_shown", rule_id: rule });
}

function remember(kept) {
  history = kept;
  write("prompts", kept, true);
}

function button(cls, text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text;
  b.onclick = onClick;
  return b;
}

// The bubble's look; the shop's styles cannot reach it (Shadow DOM), its own cannot leak out.
// Added through the loader (a constructed style sheet: no inline style for the page's policy).
function style() {
  config.css(
    ".cc-prompt{position:fixed;" + config.side + ";bottom:92px;z-index:var(--cc-z);box-sizing:border-box;width:300px;" +
    "max-width:calc(100vw - 40px);padding:14px 16px;background:#fff;color:#1f2937;font:15px/1.45 system-ui,-apple-system," +
    "'Segoe UI',Roboto,'Noto Sans','Noto Sans Arabic',Tahoma,sans-serif;text-align:start;border-radius:14px;" +
    "box-shadow:0 8px 32px rgba(15,23,42,.25)}.cc-prompt button{font:inherit;cursor:pointer}" +
    ".cc-prompt-open{display:block;margin:0;padding:0;padding-inline-end:22px;border:0;background:none;color:inherit;text-align:start}" +
    ".cc-prompt-close{position:absolute;top:4px;inset-inline-end:4px;width:28px;height:28px;border:0;border-radius:50%;" +
    "background:none;color:#4b5563;font-size:20px;line-height:1}.cc-prompt-close:hover{background:#f3f4f6}" +
    ".cc-prompt-replies{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}.cc-prompt-replies:empty{display:none}" +
    ".cc-prompt-replies button{padding:6px 12px;border:1px solid var(--cc-accent);border-radius:16px;background:#fff;" +
    "color:var(--cc-accent);font-size:14px}.cc-prompt :focus-visible{outline:3px solid #2563eb;outline-offset:2px}" +
    ".cc-prompt-from{display:flex;align-items:center;gap:8px;margin:0 0 6px;padding-inline-end:22px;font-size:13px;" +
    "font-weight:600;color:#374151}.cc-prompt-from span{flex:none;width:24px;height:24px;border-radius:50%;" +
    "background:var(--cc-accent);color:var(--cc-on-accent,#fff);display:flex;align-items:center;justify-content:center;font-size:12px}" +
    ".cc-prompt-top{top:20px;bottom:auto}.cc-prompt-flip{" + config.side.replace(/^[a-z-]+/, (s) => FLIP[s]) +
    ";" + config.side.replace(/:.*/, ":auto") + "}" +
    "@media (max-width:640px){.cc-prompt{width:auto;max-width:min(280px,calc(100vw - 96px));padding:10px 12px;" +
    "font-size:14px}.cc-prompt-replies button{font-size:13px}}"
  );
}

const FLIP = { left: "right", right: "left", "inset-inline-end": "inset-inline-start" };

// Where the bubble may not go: over the field the shopper is in, or the page's buttons that
// finish something (submit buttons, and anything the shop marks with data-checkout-chat-avoid).
function inTheWay() {
  const kept = [...document.querySelectorAll("button:not([type=button]),input[type=submit],[data-checkout-chat-avoid]")];
  const focused = document.activeElement;
  if (focused && focused !== config.root.host && focused !== document.body) kept.push(focused);
  return kept.map((e) => e.getBoundingClientRect()).filter((r) => r.width && r.bottom > 0 && r.top < innerHeight);
}

// Puts the bubble in the first of its places (above the launcher, at the top of the same side,
// then the other side's bottom and top) that covers nothing in the way.
function place() {
  const avoid = inTheWay();
  const covers = () => {
    const b = bubble.getBoundingClientRect();
    return avoid.some((r) => r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom);
  };
  for (const [top, flip] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    bubble.classList.toggle("cc-prompt-top", !!top);
    bubble.classList.toggle("cc-prompt-flip", !!flip);
    if (!covers()) return;
  }
  bubble.className = "cc-prompt";
}

function draw(rule, text, replies) {
  const words = WORDS[config.locale.slice(0, 2).toLowerCase()] || WORDS.en;
  if (!config.styled) style();
  config.styled = true;
  bubble = document.createElement("aside");
  bubble.className = "cc-prompt";
  bubble.rule = rule;
  bubble.text = text;
  bubble.dir = config.rtl ? "rtl" : "ltr";
  bubble.setAttribute("aria-label", words[0]);
  bubble.setAttribute("aria-live", "polite");
  const close = button("cc-prompt-close", "×", dismiss);
  close.setAttribute("aria-label", words[1]);
  const message = button("cc-prompt-open", text, () => accept(null));
  message.dir = "auto";
  // Who speaks: the shop's name beside its initial.
  const from = document.createElement("p");
  from.className = "cc-prompt-from";
  from.dir = "auto";
  const avatar = document.createElement("span");
  avatar.setAttribute("aria-hidden", "true");
  avatar.textContent = [...(shopName || "?")][0].toUpperCase();
  from.append(avatar, shopName);
  const answers = document.createElement("div");
  answers.className = "cc-prompt-replies";
  for (const reply of replies) {
    const choice = button("", reply, () => accept(reply));
    choice.dir = "auto";
    answers.append(choice);
  }
  bubble.append(close, from, message, answers);
  bubble.onkeydown = (e) => e.key === "Escape" && dismiss();
  region.append(bubble);
  place();
}

function hide(kind) {
  const rule = bubble.rule;
  bubble.remove();
  bubble = null;
  record({ kind, rule_id: rule });
  return rule;
}

function dismiss() {
  remember(dismissed(read("prompts", true) || "", hide("prompt_dismissed")));
}

// The shopper answered: the chat opens (with their reply sent, if they picked one), and the
// conversation begins with the prompt. `opened`: they opened the chat some other way meanwhile.
function accept(reply, opened) {
  const text = bubble.text;
  const rule = hide("prompt_accepted");
  chatOpen = true;
  config.open([rule, reply, text], opened);
}
