/* checkout-chat loader. A shop adds one tag:
 *   <script src="https://RELAY/widget.js" data-shop="SHOP" async></script>
 * This file draws the launcher at once inside a Shadow DOM root (the page's CSS cannot reach in,
 * ours cannot leak out) and loads the chat app (WebAssembly, compiled while it streams in) only
 * after the page's load event, when the browser is idle, or on the first click.
 * Its only global is `checkoutChat`, a queue the page may push calls to before we load. */
(function (w, d) {
  "use strict";
  var script = d.currentScript;
  var queue = (w.checkoutChat = w.checkoutChat || []);
  if (!script || queue.started) return;
  queue.started = true;
  var data = script.dataset;
  if (!data.shop) {
    console.warn("checkout-chat: the script tag needs a data-shop attribute");
    return;
  }
  var base = script.src.slice(0, script.src.lastIndexOf("/") + 1);
  var config = JSON.stringify({
    shop: data.shop,
    relay: base,
    locale: data.locale || d.documentElement.lang || navigator.language || "en"
  });
  var host = d.createElement("div");
  host.setAttribute("data-checkout-chat", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>:host{all:initial;--cc-accent:#0f766e}" +
    ".cc-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;padding:0;border:0;" +
    "border-radius:50%;background:var(--cc-accent);color:#fff;display:flex;align-items:center;justify-content:center;" +
    "cursor:pointer;box-shadow:0 6px 20px rgba(15,23,42,.25);transition:transform .15s}" +
    ".cc-launcher:hover{transform:scale(1.06)}.cc-launcher:focus-visible{outline:3px solid #93c5fd;outline-offset:3px}" +
    ".cc-launcher[aria-busy=true]{opacity:.75;cursor:progress}</style>" +
    '<button class="cc-launcher" data-placeholder type="button" aria-label="Open chat">' +
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.8 2 ' +
    '11.5c0 2.4 1.2 4.6 3.1 6.1L4 21.5l4.6-2.2c1.1.3 2.2.5 3.4.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3Z"/></svg></button>';
  var launcher = root.lastChild;
  var wantOpen = false;
  var loading = false;

  function start() {
    if (loading) return;
    loading = true;
    var app = base + "widget/checkout-chat-widget";
    import(app + ".js")
      .then(function (m) {
        return m.default({ module_or_path: app + "_bg.wasm" }).then(function () {
          m.mount(root, config, wantOpen);
        });
      })
      .catch(function (e) {
        loading = false;
        launcher.removeAttribute("aria-busy");
        console.warn("checkout-chat: the chat could not be loaded", e);
      });
  }

  launcher.addEventListener("click", function () {
    wantOpen = true;
    launcher.setAttribute("aria-busy", "true");
    start();
  });

  function startWhenIdle() {
    (w.requestIdleCallback || setTimeout)(start, { timeout: 5000 });
  }
  if (d.readyState === "complete") startWhenIdle();
  else w.addEventListener("load", startWhenIdle);

  function attach() {
    d.body.appendChild(host);
  }
  if (d.body) attach();
  else d.addEventListener("DOMContentLoaded", attach);
})(window, document);
