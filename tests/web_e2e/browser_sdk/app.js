// A tiny shop page instrumented with the real @sentry/browser, as a team would after copying
// the snippet from Log Center's 项目 page. The DSN comes from the page's query string so the
// test can hand it the one the dashboard showed.
import * as Sentry from '@sentry/browser';

const params = new URLSearchParams(window.location.search);

Sentry.init({
  dsn: params.get('dsn'),
  release: 'web_front@2.1.0',
  environment: 'e2e',
});
Sentry.setTag('checkout_step', 'discount');

function applyDiscount(cart) {
  // The bug the test expects: a cart without items.
  return cart.items.map((item) => item.price * 0.9);
}

document.getElementById('checkout').addEventListener('click', () => {
  applyDiscount({});
});

window.__sentryReady = true;
