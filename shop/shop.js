/* Nordhavn Coffee demo shop. Everything lives in this IIFE: no globals. */
(() => {
  'use strict';

  const CART_KEY = 'demo-shop-cart'; // JSON [{sku, name, qty, price}]
  const SHIPPING_KEY = 'demo-shop-shipping';
  const ORDER_KEY = 'demo-shop-last-order';
  const IMAGES = ['beans-ethiopia', 'beans-colombia', 'beans-house', 'grinder-hand', 'kettle-gooseneck', 'dripper-ceramic'];
  const MAX = 99;
  const money = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' });
  const page = document.body.dataset.page;
  const STEPS = ['shipping', 'payment', 'confirmation'];
  const TITLES = { shipping: 'Shipping', payment: 'Payment', confirmation: 'Order confirmed', empty: 'Checkout' };
  let step = null;

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const cents = (price) => Math.round(price * 100);
  const fmt = (c) => money.format(c / 100);
  const total = (items) => items.reduce((s, i) => s + cents(i.price) * i.qty, 0);
  const count = (items) => items.reduce((s, i) => s + i.qty, 0);
  const find = (items, sku) => items.find((i) => i.sku === sku);
  const emit = (name, detail) => document.dispatchEvent(new CustomEvent('demo-shop:' + name, { detail }));
  const load = (store, key) => { try { return JSON.parse(store.getItem(key)); } catch (e) { return null; } };
  const save = (store, key, value) => { try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* ignore */ } };
  const drop = (store, key) => { try { store.removeItem(key); } catch (e) { /* ignore */ } };

  function el(tag, cls, text, label) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    if (label) node.setAttribute('aria-label', label);
    if (tag === 'button') node.type = 'button';
    return node;
  }

  /* ---------- cart model ---------- */

  function readCart() {
    const raw = load(localStorage, CART_KEY), out = [];
    for (const i of Array.isArray(raw) ? raw : []) {
      if (!i || typeof i.sku !== 'string' || !/^[a-z0-9-]{1,40}$/.test(i.sku)) continue;
      const price = Number(i.price), qty = Math.floor(Number(i.qty));
      if (!isFinite(price) || price < 0 || !(qty >= 1)) continue;
      const dup = find(out, i.sku);
      if (dup) dup.qty = Math.min(MAX, dup.qty + qty);
      else out.push({ sku: i.sku, name: String(i.name || i.sku).slice(0, 120), qty: Math.min(MAX, qty), price: cents(price) / 100 });
    }
    return out;
  }

  function writeCart(items, quiet) {
    save(localStorage, CART_KEY, items);
    if (!quiet) refresh();
    emit('cart-updated', { items, count: count(items), total: total(items) / 100, currency: 'EUR' });
  }

  function setQty(sku, qty) {
    const items = readCart(), line = find(items, sku);
    if (!line) return refresh();
    if (qty < 1) items.splice(items.indexOf(line), 1);
    else line.qty = Math.min(MAX, qty);
    writeCart(items);
  }

  function renderCount(items) {
    const badge = $('#cart-count'), n = count(items);
    if (!badge) return;
    badge.textContent = String(n);
    badge.classList.toggle('is-empty', n === 0);
  }

  /* ---------- product page ---------- */

  function initProducts() {
    for (const btn of $$('button.add-to-cart')) {
      const label = btn.textContent;
      let timer;
      btn.addEventListener('click', () => {
        const { sku, name = sku, price } = btn.dataset;
        const items = readCart(), line = find(items, sku);
        if (line) line.qty = Math.min(MAX, line.qty + 1);
        else items.push({ sku, name, qty: 1, price: Number(price) });
        drop(sessionStorage, ORDER_KEY);
        writeCart(items);
        const badge = $('#cart-count');
        badge.classList.remove('bump');
        void badge.offsetWidth; // restart the animation
        badge.classList.add('bump');
        btn.classList.add('is-added');
        btn.textContent = 'Added ✓';
        clearTimeout(timer);
        timer = setTimeout(() => { btn.classList.remove('is-added'); btn.textContent = label; }, 1500);
      });
    }
  }

  /* ---------- cart page ---------- */

  function cartRow(item) {
    const row = el('li', 'cart-row'), info = el('div', 'cart-info'), qty = el('div', 'qty'), img = el('img', 'cart-thumb');
    row.dataset.sku = item.sku;
    img.src = '/assets/' + (IMAGES.includes(item.sku) ? item.sku : 'logo') + '.svg';
    img.alt = '';
    img.width = img.height = 72;
    info.append(el('p', 'cart-name', item.name), el('p', 'cart-unit', fmt(cents(item.price)) + ' each'),
      el('button', 'remove-item link-button', 'Remove', 'Remove ' + item.name));
    const minus = el('button', 'qty-decrease', '−', 'Decrease quantity of ' + item.name);
    const plus = el('button', 'qty-increase', '+', 'Increase quantity of ' + item.name);
    minus.disabled = item.qty <= 1;
    plus.disabled = item.qty >= MAX;
    qty.append(minus, el('output', 'qty-value', String(item.qty), 'Quantity'), plus);
    row.append(img, info, qty, el('p', 'cart-line-total', fmt(cents(item.price) * item.qty)));
    return row;
  }

  function renderCart(items) {
    const list = $('#cart-items'), active = document.activeElement;
    const row = list.contains(active) && active.closest('.cart-row');
    const keep = row && { sku: row.dataset.sku, cls: active.classList[0] };
    list.replaceChildren(...items.map(cartRow));
    $('#cart-subtotal').textContent = $('#cart-total').textContent = fmt(total(items));
    $('#cart-empty').hidden = items.length > 0;
    $('#cart-content').hidden = items.length === 0;
    if (keep) { // keep keyboard focus on the control that was used
      const same = $$('.cart-row', list).find((r) => r.dataset.sku === keep.sku);
      const target = same && ($('.' + keep.cls + ':not(:disabled)', same) || $('.qty-increase', same));
      (target || $('#checkout-button')).focus();
    }
  }

  function initCart() {
    $('#cart-items').addEventListener('click', (ev) => {
      const btn = ev.target.closest('button'), row = btn && btn.closest('.cart-row');
      if (!row) return;
      const sku = row.dataset.sku, qty = (find(readCart(), sku) || { qty: 0 }).qty, cl = btn.classList;
      if (cl.contains('qty-increase')) setQty(sku, qty + 1);
      else if (cl.contains('qty-decrease')) setQty(sku, Math.max(1, qty - 1));
      else if (cl.contains('remove-item')) setQty(sku, 0);
    });
  }

  /* ---------- checkout: #shipping -> #payment -> #confirmation ---------- */

  function fillItems(list, items) {
    list.replaceChildren(...items.map((i) => {
      const li = el('li');
      li.append(el('span', 'summary-qty', i.qty + ' ×'), el('span', 'summary-name', i.name), el('span', 'summary-price', fmt(cents(i.price) * i.qty)));
      return li;
    }));
  }

  function renderSummary(items) {
    fillItems($('#summary-items'), items);
    $('#summary-subtotal').textContent = $('#summary-total').textContent = fmt(total(items));
  }

  const formData = (form) => Object.fromEntries($$('input, select', form).map((f) => [f.name, f.value.trim()]));

  function renderConfirmation(order) {
    const s = order.shipping || {}, addr = $('#confirmation-address');
    $('#order-number').textContent = order.number;
    $('#confirmation-email').textContent = s.email || '';
    addr.replaceChildren();
    for (const line of [s.name, s.address, [s.postcode, s.city].filter(Boolean).join(' '), s.country]) {
      if (line) addr.append(el('span', null, line), el('br'));
    }
    fillItems($('#confirmation-items'), Array.isArray(order.items) ? order.items : []);
    $('#confirmation-total').textContent = fmt(cents(Number(order.total)) || 0);
  }

  function renderCheckout(moveFocus) {
    const wanted = location.hash.slice(1), order = load(sessionStorage, ORDER_KEY);
    let next = 'shipping';
    if (wanted === 'confirmation' && order && order.number) next = 'confirmation';
    else if (!readCart().length) next = 'empty';
    else if (wanted === 'payment' && $('#shipping-form').checkValidity()) next = 'payment';
    if (next !== 'empty' && wanted !== next) history.replaceState(null, '', '#' + next);

    $('#checkout-empty').hidden = next !== 'empty';
    $('#checkout-main').hidden = next !== 'shipping' && next !== 'payment';
    $('#step-shipping').hidden = next !== 'shipping';
    $('#step-payment').hidden = next !== 'payment';
    $('#confirmation').hidden = next !== 'confirmation';
    if (next === 'confirmation') renderConfirmation(order);

    const idx = STEPS.indexOf(next);
    for (const li of $$('#checkout-steps li')) {
      const i = STEPS.indexOf(li.dataset.step);
      li.classList.toggle('is-current', i === idx);
      li.classList.toggle('is-done', idx >= 0 && i < idx);
      if (i === idx) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    }
    document.body.dataset.checkoutStep = next;
    document.title = TITLES[next] + ' · Checkout · Nordhavn Coffee';

    if (next === step) return;
    const first = step === null;
    step = next;
    if (moveFocus && !first && next !== 'empty') {
      window.scrollTo(0, 0);
      $('#' + next + '-title').focus({ preventScroll: true });
    }
    emit('checkout-step', { step: next });
  }

  function go(next) {
    if (location.hash === '#' + next) renderCheckout(true);
    else location.hash = next; // new history entry; hashchange re-renders
  }

  function initCheckout() {
    const shipping = $('#shipping-form'), payment = $('#payment-form');
    const number = $('#card-number'), expiry = $('#card-expiry');
    const saved = load(sessionStorage, SHIPPING_KEY) || {};
    for (const f of $$('input, select', shipping)) {
      if (typeof saved[f.name] === 'string' && saved[f.name]) f.value = saved[f.name];
    }

    shipping.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!shipping.reportValidity()) return;
      save(sessionStorage, SHIPPING_KEY, formData(shipping));
      go('payment');
    });

    // Light formatting while typing at the end of the field: "4242 4242 …", "MM/YY".
    const atEnd = (input) => input.selectionStart === input.value.length;
    number.addEventListener('input', () => {
      const d = number.value.replace(/\D/g, '');
      if (atEnd(number)) number.value = d.slice(0, 19).replace(/(\d{4})(?=\d)/g, '$1 ');
      number.setCustomValidity(d.length && (d.length < 12 || d.length > 19) ? 'Enter a card number with 12 to 19 digits.' : '');
    });
    expiry.addEventListener('input', () => {
      const d = expiry.value.replace(/\D/g, '').slice(0, 4);
      if (atEnd(expiry)) expiry.value = d.length > 2 ? d.slice(0, 2) + '/' + d.slice(2) : d;
    });

    payment.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!payment.reportValidity()) return;
      const items = readCart();
      if (!items.length) return renderCheckout(true);
      const n = crypto.getRandomValues(new Uint32Array(1))[0] % 1000000;
      // Card details are never stored or sent anywhere.
      save(sessionStorage, ORDER_KEY, {
        number: 'NH-' + String(n).padStart(6, '0'),
        shipping: formData(shipping), items, total: total(items) / 100, placedAt: new Date().toISOString()
      });
      drop(sessionStorage, SHIPPING_KEY);
      payment.reset();
      writeCart([], true); // clear without re-rendering the payment step first
      renderCount([]);
      renderSummary([]);
      go('confirmation');
    });

    window.addEventListener('hashchange', () => renderCheckout(true));
    renderCheckout(false);
  }

  /* ---------- the chat widget: cart and checkout events (docs/cart-events.md) ---------- */

  // The one documented name: the widget's queue works before its script has loaded.
  function chat(...call) {
    window.checkoutChat = window.checkoutChat || [];
    window.checkoutChat.push(call);
  }

  function tellCart(items) {
    chat('cart', { currency: 'EUR', total: total(items) / 100, items: items.map((i) => ({ sku: i.sku, name: i.name, qty: i.qty, price: i.price })) });
  }

  document.addEventListener('demo-shop:cart-updated', (ev) => tellCart(ev.detail.items));
  document.addEventListener('demo-shop:checkout-step', (ev) => {
    const step = ev.detail.step;
    if (step === 'shipping' || step === 'payment') chat('checkout_step', { step });
    if (step !== 'confirmation') return;
    const order = load(sessionStorage, ORDER_KEY);
    if (order && order.number && !order.told) {
      chat('order_completed', { order_id: order.number, total: Number(order.total) || 0, currency: 'EUR' });
      save(sessionStorage, ORDER_KEY, Object.assign(order, { told: true })); // once, not on every reload
    }
  });
  tellCart(readCart());
  if (page === 'cart') chat('checkout_step', { step: 'cart' });

  /* ---------- wiring ---------- */

  function refresh() {
    const items = readCart();
    renderCount(items);
    if (page === 'cart') renderCart(items);
    if (page === 'checkout') {
      renderSummary(items);
      if (step !== null && step !== 'confirmation') renderCheckout(false);
    }
  }

  window.addEventListener('storage', (ev) => { // keep open tabs in sync
    if (ev.key === CART_KEY || ev.key === null) refresh();
  });

  if (page === 'products') initProducts();
  if (page === 'cart') initCart();
  refresh();
  if (page === 'checkout') initCheckout();
})();
