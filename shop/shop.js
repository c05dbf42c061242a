/* Nordhavn Coffee demo shop. Everything lives in this IIFE: no globals. */
(function () {
  'use strict';

  var CART_KEY = 'demo-shop-cart';
  var SHIPPING_KEY = 'demo-shop-shipping';
  var ORDER_KEY = 'demo-shop-last-order';
  var KNOWN_IMAGES = ['beans-ethiopia', 'beans-colombia', 'beans-house', 'grinder-hand', 'kettle-gooseneck', 'dripper-ceramic'];
  var MAX_QTY = 99;
  var money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function fmt(cents) { return money.format(cents / 100); }
  function cents(price) { return Math.round(price * 100); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function storageGet(store, key) {
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  }
  function storageSet(store, key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode / quota: ignore */ }
  }
  function storageRemove(store, key) {
    try { store.removeItem(key); } catch (e) { /* ignore */ }
  }

  /* ---------- cart model ---------- */

  function sanitize(raw) {
    var out = [];
    if (!Array.isArray(raw)) return out;
    raw.forEach(function (item) {
      if (!item || typeof item.sku !== 'string' || !/^[a-z0-9-]{1,40}$/.test(item.sku)) return;
      var price = Number(item.price);
      var qty = Math.floor(Number(item.qty));
      if (!isFinite(price) || price < 0 || !(qty >= 1)) return;
      var existing = out.filter(function (o) { return o.sku === item.sku; })[0];
      if (existing) { existing.qty = Math.min(MAX_QTY, existing.qty + qty); return; }
      out.push({
        sku: item.sku,
        name: String(item.name || item.sku).slice(0, 120),
        qty: Math.min(MAX_QTY, qty),
        price: cents(price) / 100
      });
    });
    return out;
  }

  function readCart() { return sanitize(storageGet(localStorage, CART_KEY)); }

  function cartTotalCents(items) {
    return items.reduce(function (sum, i) { return sum + cents(i.price) * i.qty; }, 0);
  }
  function cartCount(items) {
    return items.reduce(function (sum, i) { return sum + i.qty; }, 0);
  }

  function emitCart(items) {
    var detail = { items: items.map(function (i) { return { sku: i.sku, name: i.name, qty: i.qty, price: i.price }; }),
      count: cartCount(items), total: cartTotalCents(items) / 100, currency: 'EUR' };
    document.dispatchEvent(new CustomEvent('demo-shop:cart-updated', { detail: detail }));
  }

  function writeCart(items) {
    storageSet(localStorage, CART_KEY, items);
    refresh();
    emitCart(items);
  }

  function addToCart(sku, name, price) {
    var items = readCart();
    var line = items.filter(function (i) { return i.sku === sku; })[0];
    if (line) line.qty = Math.min(MAX_QTY, line.qty + 1);
    else items.push({ sku: sku, name: name, qty: 1, price: price });
    storageRemove(sessionStorage, ORDER_KEY);
    writeCart(items);
  }

  function setQty(sku, qty) {
    var items = readCart();
    if (qty < 1) items = items.filter(function (i) { return i.sku !== sku; });
    else items.forEach(function (i) { if (i.sku === sku) i.qty = Math.min(MAX_QTY, qty); });
    writeCart(items);
  }

  function imageFor(sku) {
    return '/assets/' + (KNOWN_IMAGES.indexOf(sku) >= 0 ? sku : 'logo') + '.svg';
  }

  /* ---------- header ---------- */

  function renderHeader(items) {
    var count = cartCount(items);
    var badge = $('#cart-count');
    if (badge) {
      badge.textContent = String(count);
      badge.classList.toggle('is-empty', count === 0);
    }
  }

  function bump() {
    var badge = $('#cart-count');
    if (!badge) return;
    badge.classList.remove('bump');
    void badge.offsetWidth; // restart the animation
    badge.classList.add('bump');
  }

  /* ---------- product page ---------- */

  var toastTimer = null;
  function toast(name) {
    var box = $('#toast');
    if (!box) return;
    box.textContent = '';
    box.appendChild(el('span', null, name + ' was added to your cart.'));
    var link = el('a', null, 'View cart');
    link.href = '/cart.html';
    box.appendChild(link);
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  function initProducts() {
    $all('button.add-to-cart').forEach(function (btn) {
      var label = btn.textContent;
      var timer = null;
      btn.addEventListener('click', function () {
        var price = Number(btn.getAttribute('data-price'));
        var sku = btn.getAttribute('data-sku');
        var name = btn.getAttribute('data-name') || sku;
        addToCart(sku, name, price);
        bump();
        toast(name);
        btn.classList.add('is-added');
        btn.textContent = 'Added ✓';
        clearTimeout(timer);
        timer = setTimeout(function () { btn.classList.remove('is-added'); btn.textContent = label; }, 1500);
      });
    });
  }

  /* ---------- cart page ---------- */

  function cartRow(item) {
    var row = el('li', 'cart-row');
    row.setAttribute('data-sku', item.sku);

    var img = el('img', 'cart-thumb');
    img.src = imageFor(item.sku);
    img.alt = '';
    img.width = 72;
    img.height = 72;
    row.appendChild(img);

    var info = el('div', 'cart-info');
    info.appendChild(el('p', 'cart-name', item.name));
    info.appendChild(el('p', 'cart-unit', fmt(cents(item.price)) + ' each'));
    var remove = el('button', 'remove-item link-button', 'Remove');
    remove.type = 'button';
    remove.setAttribute('aria-label', 'Remove ' + item.name);
    info.appendChild(remove);
    row.appendChild(info);

    var qty = el('div', 'qty');
    var minus = el('button', 'qty-decrease', '−');
    minus.type = 'button';
    minus.disabled = item.qty <= 1;
    minus.setAttribute('aria-label', 'Decrease quantity of ' + item.name);
    var value = el('output', 'qty-value', String(item.qty));
    value.setAttribute('aria-label', 'Quantity');
    var plus = el('button', 'qty-increase', '+');
    plus.type = 'button';
    plus.disabled = item.qty >= MAX_QTY;
    plus.setAttribute('aria-label', 'Increase quantity of ' + item.name);
    qty.appendChild(minus);
    qty.appendChild(value);
    qty.appendChild(plus);
    row.appendChild(qty);

    row.appendChild(el('p', 'cart-line-total', fmt(cents(item.price) * item.qty)));
    return row;
  }

  function renderCartPage(items) {
    var list = $('#cart-items');
    if (!list) return;
    var focused = document.activeElement;
    var refocus = focused && list.contains(focused) && focused.closest('.cart-row') ?
      { sku: focused.closest('.cart-row').getAttribute('data-sku'), cls: focused.className.split(' ')[0] } : null;

    list.textContent = '';
    items.forEach(function (item) { list.appendChild(cartRow(item)); });
    var total = fmt(cartTotalCents(items));
    $('#cart-subtotal').textContent = total;
    $('#cart-total').textContent = total;
    $('#cart-empty').hidden = items.length > 0;
    $('#cart-content').hidden = items.length === 0;

    if (refocus) {
      var target = $all('.cart-row', list).filter(function (r) { return r.getAttribute('data-sku') === refocus.sku; })[0];
      var btn = target && $('.' + refocus.cls, target);
      if (btn && !btn.disabled) btn.focus();
      else if (target) $('.qty-increase', target).focus();
      else { var link = $('#checkout-button'); if (link && items.length) link.focus(); }
    }
  }

  function initCartPage() {
    $('#cart-items').addEventListener('click', function (ev) {
      var btn = ev.target.closest('button');
      var row = btn && btn.closest('.cart-row');
      if (!row) return;
      var sku = row.getAttribute('data-sku');
      var line = readCart().filter(function (i) { return i.sku === sku; })[0];
      if (!line) return refresh();
      if (btn.classList.contains('qty-increase')) setQty(sku, line.qty + 1);
      else if (btn.classList.contains('qty-decrease')) setQty(sku, Math.max(1, line.qty - 1));
      else if (btn.classList.contains('remove-item')) setQty(sku, 0);
    });
  }

  /* ---------- checkout page ---------- */

  var STEPS = ['shipping', 'payment', 'confirmation'];
  var STEP_TITLES = { shipping: 'Shipping', payment: 'Payment', confirmation: 'Order confirmed', empty: 'Checkout' };
  var currentStep = null;

  function fillSummary(list, items) {
    list.textContent = '';
    items.forEach(function (item) {
      var li = el('li');
      li.appendChild(el('span', 'summary-qty', item.qty + ' ×'));
      li.appendChild(el('span', 'summary-name', item.name));
      li.appendChild(el('span', 'summary-price', fmt(cents(item.price) * item.qty)));
      list.appendChild(li);
    });
  }

  function renderCheckoutSummary(items) {
    var list = $('#summary-items');
    if (!list) return;
    fillSummary(list, items);
    var total = fmt(cartTotalCents(items));
    $('#summary-subtotal').textContent = total;
    $('#summary-total').textContent = total;
  }

  function formData(form) {
    var data = {};
    $all('input, select', form).forEach(function (f) { data[f.name] = f.value.trim(); });
    return data;
  }

  function renderConfirmation(order) {
    $('#order-number').textContent = order.number;
    $('#confirmation-email').textContent = order.shipping.email || '';
    var addr = $('#confirmation-address');
    addr.textContent = '';
    var s = order.shipping;
    [s.name, s.address, [s.postcode, s.city].filter(Boolean).join(' '), s.country].forEach(function (line) {
      if (!line) return;
      addr.appendChild(el('span', null, line));
      addr.appendChild(document.createElement('br'));
    });
    fillSummary($('#confirmation-items'), sanitize(order.items));
    $('#confirmation-total').textContent = fmt(Math.round(Number(order.total) * 100) || 0);
  }

  function replaceHash(step) {
    if (location.hash !== '#' + step) history.replaceState(null, '', '#' + step);
  }

  function resolveStep() {
    var requested = location.hash.replace(/^#/, '');
    var order = storageGet(sessionStorage, ORDER_KEY);
    var items = readCart();
    if (requested === 'confirmation' && order && order.number) return { step: 'confirmation', order: order };
    if (!items.length) return { step: 'empty' };
    if (requested === 'payment' && $('#shipping-form').checkValidity()) return { step: 'payment' };
    return { step: 'shipping' };
  }

  function renderCheckout(moveFocus) {
    var r = resolveStep();
    var step = r.step;
    if (step === 'shipping' || step === 'confirmation' || step === 'payment') replaceHash(step);

    $('#checkout-empty').hidden = step !== 'empty';
    $('#checkout-main').hidden = step !== 'shipping' && step !== 'payment';
    $('#step-shipping').hidden = step !== 'shipping';
    $('#step-payment').hidden = step !== 'payment';
    $('#confirmation').hidden = step !== 'confirmation';
    if (step === 'confirmation') renderConfirmation(r.order);

    var idx = STEPS.indexOf(step);
    $all('#checkout-steps li').forEach(function (li) {
      var i = STEPS.indexOf(li.getAttribute('data-step'));
      li.classList.toggle('is-current', i === idx);
      li.classList.toggle('is-done', idx >= 0 && i < idx);
      if (i === idx) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    });

    document.body.setAttribute('data-checkout-step', step);
    document.title = STEP_TITLES[step] + ' · Checkout · Nordhavn Coffee';

    if (step !== currentStep) {
      var previous = currentStep;
      currentStep = step;
      if (moveFocus && previous !== null) {
        var heading = step === 'empty' ? null : $('#' + (step === 'confirmation' ? 'confirmation' : step) + '-title');
        window.scrollTo(0, 0);
        if (heading) heading.focus({ preventScroll: true });
      }
      document.dispatchEvent(new CustomEvent('demo-shop:checkout-step', { detail: { step: step } }));
    }
  }

  function go(step) {
    if (location.hash === '#' + step) renderCheckout(true);
    else location.hash = step; // pushes a history entry; hashchange re-renders
  }

  function orderNumber() {
    var n;
    if (window.crypto && crypto.getRandomValues) n = crypto.getRandomValues(new Uint32Array(1))[0] % 1000000;
    else n = Math.floor(Math.random() * 1000000);
    return 'NH-' + String(n).padStart(6, '0');
  }

  function formatCardNumber(input) {
    if (input.selectionStart !== input.value.length) return; // editing mid-value: leave it alone
    var digits = input.value.replace(/\D/g, '').slice(0, 19);
    input.value = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
  }

  function formatExpiry(input) {
    if (input.selectionStart !== input.value.length) return;
    var digits = input.value.replace(/\D/g, '').slice(0, 4);
    input.value = digits.length > 2 ? digits.slice(0, 2) + '/' + digits.slice(2) : digits;
  }

  function initCheckout() {
    var shippingForm = $('#shipping-form');
    var paymentForm = $('#payment-form');
    var saved = storageGet(sessionStorage, SHIPPING_KEY);
    if (saved && typeof saved === 'object') {
      $all('input, select', shippingForm).forEach(function (f) {
        if (typeof saved[f.name] === 'string' && saved[f.name]) f.value = saved[f.name];
      });
    }

    shippingForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!shippingForm.checkValidity()) { shippingForm.reportValidity(); return; }
      storageSet(sessionStorage, SHIPPING_KEY, formData(shippingForm));
      go('payment');
    });

    var cardNumber = $('#card-number');
    cardNumber.addEventListener('input', function () {
      formatCardNumber(cardNumber);
      var n = cardNumber.value.replace(/\D/g, '').length;
      cardNumber.setCustomValidity(n && (n < 12 || n > 19) ? 'Enter a card number with 12 to 19 digits.' : '');
    });
    var expiry = $('#card-expiry');
    expiry.addEventListener('input', function () { formatExpiry(expiry); });

    paymentForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!paymentForm.checkValidity()) { paymentForm.reportValidity(); return; }
      var items = readCart();
      if (!items.length) return renderCheckout(true);
      var order = {
        number: orderNumber(),
        shipping: formData(shippingForm),
        items: items,
        total: cartTotalCents(items) / 100,
        placedAt: new Date().toISOString()
      };
      // Card details are never stored or sent anywhere.
      storageSet(sessionStorage, ORDER_KEY, order);
      storageRemove(sessionStorage, SHIPPING_KEY);
      paymentForm.reset();
      // Clear the cart without re-rendering the payment step in between.
      storageSet(localStorage, CART_KEY, []);
      renderHeader([]);
      renderCheckoutSummary([]);
      emitCart([]);
      go('confirmation');
    });

    window.addEventListener('hashchange', function () { renderCheckout(true); });
    renderCheckout(false);
  }

  /* ---------- wiring ---------- */

  var page = document.body.getAttribute('data-page');

  function refresh() {
    var items = readCart();
    renderHeader(items);
    if (page === 'cart') renderCartPage(items);
    if (page === 'checkout') {
      renderCheckoutSummary(items);
      if (currentStep !== null && currentStep !== 'confirmation') renderCheckout(false);
    }
  }

  // Keep several open tabs in sync.
  window.addEventListener('storage', function (ev) {
    if (ev.key === CART_KEY || ev.key === null) refresh();
  });

  if (page === 'products') initProducts();
  if (page === 'cart') initCartPage();
  refresh();
  if (page === 'checkout') initCheckout();
})();
