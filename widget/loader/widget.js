/* checkout-chat loader: draws the launcher in a Shadow DOM root at once; after the page's load
   event (on idle) it loads the watcher (activity and proactive prompts, small); the chat app
   itself loads on the first click, when a prompt is answered, or at once for a shopper with a
   conversation. See docs/embedding.md and docs/cart-events.md. */
(function (w, d) {
  "use strict";
  var script = d.currentScript;
  var queue = (w.checkoutChat = w.checkoutChat || []);
  if (!script || queue.started) return;
  queue.started = 1;
  var data = script.dataset;
  if (!data.shop) return console.warn("checkout-chat: the script tag needs a data-shop attribute");
  var base = script.src.slice(0, script.src.lastIndexOf("/") + 1);
  var locale = data.locale || d.documentElement.lang || navigator.language || "en";
  var lang = locale.slice(0, 2).toLowerCase();
  var host = d.createElement("checkout-chat");
  host.setAttribute("data-checkout-chat", "");
  host.style.cssText = "display:block!important;position:static!important;visibility:visible!important";
  var color = data.color && w.CSS && CSS.supports("color", data.color) ? data.color : "#0f766e";
  var z = /^\d{1,10}$/.test(data.zIndex || "") ? data.zIndex : "2147483000";
  var root = host.attachShadow({ mode: "open" });
  var side = data.position == "bottom-left" ? "left:20px" : data.position == "bottom-right" ? "right:20px" : "inset-inline-end:20px";
  root.innerHTML =
    '<button class="cc-launcher" data-placeholder type="button"><svg viewBox="0 0 24 24" width="28" height="28" ' +
    'aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4 21.5l4.6-2.2c1.1.3 ' +
    '2.2.5 3.4.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3Z"/></svg></button>';
  var launcher = root.lastChild;
  var rtl = lang == "ar" || lang == "fa";
  launcher.dir = rtl ? "rtl" : "ltr";
  launcher.setAttribute("aria-label", { nl: "Chat openen", ar: "فتح المحادثة", fa: "باز کردن گفت\u200cوگو" }[lang] || "Open chat");
  // Styles go in as constructed style sheets, which a page's Content-Security-Policy does not
  // count as inline styles; a browser without them gets a <style> element. The app and the
  // watcher add theirs with the same function.
  function css(text) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(text);
      root.adoptedStyleSheets = root.adoptedStyleSheets.concat(sheet);
    } catch (e) {
      root.appendChild(d.createElement("style")).textContent = text;
    }
  }
  css(
    ":host{all:initial!important;--cc-accent:" + color + ";--cc-z:" + z + "}" +
    ".cc-launcher{position:fixed;" + side + ";bottom:20px;z-index:var(--cc-z);width:60px;height:60px;padding:0;border:0;" +
    "border-radius:50%;background:var(--cc-accent);color:#fff;display:flex;align-items:center;justify-content:center;" +
    "cursor:pointer;box-shadow:0 6px 20px rgba(15,23,42,.25);transition:transform .15s}" +
    ".cc-launcher:hover{transform:scale(1.06)}.cc-launcher:focus-visible{outline:3px solid #2563eb;outline-offset:3px}" +
    ".cc-launcher[aria-busy=true]{opacity:.75;cursor:progress}"
  );
  // What the app and the watcher are given (each reads its own fields).
  var config = { shop: data.shop, relay: base, locale: locale, position: data.position, color: data.color, sound: data.sound,
    root: root, side: side, rtl: rtl, open: answer, css: css };
  var wantOpen = 0; // 1: open, 2: opened by the shopper's click (focus then moves into the chat)
  var loading = false;
  var app; // the chat app's module, once mounted
  var watching; // the watcher: resolves once it knows who the visitor is
  var prefix = "checkout-chat:" + data.shop + ":";
  var ACTIVITY = /^(cart|checkout_step|order_completed|event|prompt)$/;
  function stored(key) {
    try {
      return localStorage.getItem(prefix + key);
    } catch (e) {}
  }

  function start() {
    if (loading) return;
    loading = true;
    var url = base + "widget/checkout-chat-widget";
    // The watcher makes the visitor on a first visit and keeps the browser's session; the chat
    // waits for it (a few seconds at most), so that one browser is one visitor in one session.
    var known = watch();
    // The shopper's language (if not English) is fetched alongside the app.
    var strings = /^(nl|ar|fa)$/.test(lang)
      ? fetch(base + "widget/i18n/" + lang + ".json").then(function (r) { return r.ok ? r.json() : null; }).catch(function () {})
      : null;
    Promise.all([import(url + ".js"), strings, known])
      .then(function (loaded) {
        var m = loaded[0];
        config.strings = loaded[1];
        return m.default({ module_or_path: url + "_bg.wasm" }).then(function () {
          m.mount(root, config, wantOpen, queue);
          app = m;
        });
      })
      .catch(function (e) {
        loading = false;
        launcher.removeAttribute("aria-busy");
        console.warn("checkout-chat: the chat could not be loaded", e);
      });
  }

  function open(click) {
    wantOpen = click ? 2 : wantOpen || 1;
    launcher.setAttribute("aria-busy", "true");
    start();
  }
  launcher.addEventListener("click", open);
  queue.push = function (call) {
    if (call && call[0] == "open") open(0);
    if (call && call[0] == "reset") start(); // only the app can forget the visitor
    return Array.prototype.push.apply(queue, arguments);
  };
  // Activity the page pushed before the watcher came goes with the shopper to the next page.
  w.addEventListener("pagehide", function () {
    var calls = [].filter.call(queue, function (call) { return call && ACTIVITY.test(call[0]); });
    try {
      if (calls.length && !queue.watch) localStorage.setItem(prefix + "calls", JSON.stringify(calls));
    } catch (e) {}
  });

  // The shopper answered a prompt: the chat opens and its conversation begins with the prompt.
  // `prompt` is [rule, reply or null, the prompt's text].
  function answer(prompt, opened) {
    if (app) return app.answer_prompt(prompt);
    config.prompt = prompt;
    if (!opened) open(1);
  }

  function watch() {
    return (watching =
      watching ||
      import(base + "widget/watcher.js")
        .then(function (m) { return m.start(config, queue); })
        .catch(function (e) { console.warn("checkout-chat: prompts could not be loaded", e); }));
  }

  function afterLoad() {
    var queued = function (name) { return [].some.call(queue, function (call) { return call && call[0] == name; }); };
    if (queued("open") || (data.openOnLoad != null && data.openOnLoad != "false")) open(0);
    // A shopper with a conversation or unsent messages gets the chat at once (replies, badge).
    if (queued("reset") || stored("conversation") || stored("outbox")) start();
    if (w.requestIdleCallback) requestIdleCallback(watch, { timeout: 5000 });
    else setTimeout(watch, 1);
  }
  if (d.readyState == "complete") afterLoad();
  else w.addEventListener("load", afterLoad);

  if (d.body) d.body.appendChild(host);
  else d.addEventListener("DOMContentLoaded", function () { d.body.appendChild(host); });
})(window, document);
