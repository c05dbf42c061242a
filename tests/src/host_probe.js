/* The instruments of the widget benchmark and of the host-page tests. Placed first in the page's
   <head>, before anything of the shop or the widget runs, so that it sees all of it. It records,
   for reading back over WebDriver from window.__hostProbe:
   - layout shifts and long tasks (> 50 ms) on the page, and the long animation frames that name
     the scripts behind long tasks;
   - when the loader starts running, when its launcher is in the page and when that is painted;
   - when the shopper's first click on the widget happens and when the message box is focused
     (usable) and painted;
   - the WebAssembly memories created, since a module's linear memory is not in the JS heap;
   - the payload bytes sent and received over WebSockets, which Resource Timing does not see.
   It changes nothing the page or the widget can observe, except that window.checkoutChat is an
   accessor property (its value is what the page and the widget store in it) and WebSocket is a
   function that makes the browser's own sockets. */
(function () {
  "use strict";
  var probe = (window.__hostProbe = {
    shifts: [], longTasks: [], longFrames: [], unsupported: [],
    fcp: null, lcp: null,
    loaderStart: null, launcherInPage: null, launcherPainted: null,
    click: null, inputFocused: null, inputPainted: null,
    sockets: { opened: 0, sent: 0, received: 0 }
  });
  var memories = [];
  var now = function () { return performance.now(); };
  var isHost = function (node) { return node && node.nodeType == 1 && node.hasAttribute("data-checkout-chat"); };

  // The time the frame that shows a change has been painted: requestAnimationFrame runs just
  // before that frame's paint, and a message posted from there is handled once it is done.
  function afterPaint(done) {
    requestAnimationFrame(function () {
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { done(now()); };
      channel.port2.postMessage(0);
    });
  }

  function observe(type, record) {
    try {
      new PerformanceObserver(function (list) { list.getEntries().forEach(record); })
        .observe({ type: type, buffered: true });
    } catch (e) {
      probe.unsupported.push(type);
    }
  }

  // A shifted node, named so that a widget node is told from the page's; then where it was and is (x,y,w,h).
  function describe(node) {
    if (!node) return "";
    var root = node.getRootNode && node.getRootNode();
    var inWidget = isHost(node) || (root && isHost(root.host));
    var name = node.nodeName.toLowerCase() + (node.id ? "#" + node.id : "") +
      (typeof node.className == "string" && node.className ? "." + node.className.trim().split(/\s+/).join(".") : "");
    return (inWidget ? "widget:" : "page:") + name;
  }

  function rect(r) { return r ? [r.x, r.y, r.width, r.height].map(Math.round).join(",") : "none"; }

  observe("layout-shift", function (e) {
    probe.shifts.push({
      at: e.startTime, value: e.value, recentInput: e.hadRecentInput,
      sources: (e.sources || []).map(function (s) { return (describe(s.node) || "removed") + " " + rect(s.previousRect) + " -> " + rect(s.currentRect); })
    });
  });
  observe("longtask", function (e) { probe.longTasks.push({ at: e.startTime, duration: e.duration }); });
  observe("long-animation-frame", function (e) {
    probe.longFrames.push({
      at: e.startTime, duration: e.duration, blocking: e.blockingDuration,
      scripts: (e.scripts || []).map(function (s) {
        return { source: s.sourceURL, invoker: s.invoker, type: s.invokerType, at: s.startTime, duration: s.duration };
      })
    });
  });
  observe("paint", function (e) { if (e.name == "first-contentful-paint") probe.fcp = e.startTime; });
  observe("largest-contentful-paint", function (e) { probe.lcp = e.startTime; });

  // The loader's first statement reads window.checkoutChat: while its own script is running,
  // that read is the moment it starts. (The shop's scripts read it too, from other scripts.)
  var queue;
  Object.defineProperty(window, "checkoutChat", {
    configurable: true, enumerable: true,
    get: function () {
      var script = document.currentScript;
      if (probe.loaderStart == null && script && /\/widget\.js$/.test(script.src)) probe.loaderStart = now();
      return queue;
    },
    set: function (value) { queue = value; }
  });

  // The loader appends its host element, launcher inside, once it is drawn.
  var appended = new MutationObserver(function (records) {
    records.forEach(function (record) {
      [].forEach.call(record.addedNodes, function (node) {
        if (!isHost(node) || probe.launcherInPage != null) return;
        probe.launcherInPage = now();
        appended.disconnect();
        afterPaint(function (t) { probe.launcherPainted = t; });
        watchFocus(node.shadowRoot);
      });
    });
  });
  appended.observe(document.documentElement, { childList: true, subtree: true });

  // The first click on the widget, seen on its way down (whatever the widget does with it).
  addEventListener("click", function (e) {
    if (probe.click == null && e.composedPath().some(isHost)) probe.click = e.timeStamp;
  }, true);

  // The message box is usable once it has the focus (typing goes into it), enabled. Focus moves
  // inside the widget's shadow root are not seen from the document, so listen on the root.
  function watchFocus(root) {
    if (!root) return;
    root.addEventListener("focusin", function () {
      var input = root.activeElement;
      if (probe.click == null || probe.inputFocused != null) return;
      if (!input || !input.matches(".cc-input") || input.disabled || input.readOnly) return;
      probe.inputFocused = now();
      afterPaint(function (t) { probe.inputPainted = t; });
    });
  }

  ["instantiateStreaming", "instantiate"].forEach(function (name) {
    var original = WebAssembly[name];
    if (!original) return;
    WebAssembly[name] = function () {
      return original.apply(this, arguments).then(function (result) {
        var instance = result instanceof WebAssembly.Instance ? result : result.instance;
        var memory = instance && instance.exports.memory;
        if (memory instanceof WebAssembly.Memory) memories.push(memory);
        return result;
      });
    };
  });
  // Payload bytes only: the upgrade request and the frames' headers are not counted.
  var NativeSocket = window.WebSocket;
  var bytes = function (data) {
    return typeof data == "string" ? new Blob([data]).size : data.byteLength != null ? data.byteLength : data.size || 0;
  };
  function CountedSocket(url, protocols) {
    var socket = protocols === undefined ? new NativeSocket(url) : new NativeSocket(url, protocols);
    probe.sockets.opened++;
    socket.addEventListener("message", function (e) { probe.sockets.received += bytes(e.data); });
    return socket;
  }
  CountedSocket.prototype = NativeSocket.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { CountedSocket[k] = NativeSocket[k]; });
  var send = NativeSocket.prototype.send;
  NativeSocket.prototype.send = function (data) {
    probe.sockets.sent += bytes(data);
    return send.call(this, data);
  };
  window.WebSocket = CountedSocket;

  // Bytes of WebAssembly linear memory the page holds now.
  probe.wasmMemory = function () {
    return memories.reduce(function (sum, m) { return sum + m.buffer.byteLength; }, 0);
  };
})();
