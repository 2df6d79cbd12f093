/* Humiao service worker: the child director's pages on a phone with a poor signal.
 *
 * - The app shell (stylesheet, scripts, icons, manifest) is cached at install, per asset
 *   version, and served from the cache first.
 * - The director's pages (/m/alerts, /m/plan, /m/verify, /m/children and each visit form
 *   opened) are fetched from the network first; a copy is kept only when the server marked
 *   the answer as a signed-in director's page (header X-Humiao-Offline-User), so login
 *   pages, errors and other roles' pages are never kept. With no connection the copy is shown, marked as
 *   such (data-served="cache": the page shows 「离线模式」).
 * - Copies belong to one user: a page of another user first drops them; so does opening the
 *   login page (signed out, or the session ended) and the page's "logout" message.
 *   Signing out also clears everything with Clear-Site-Data.
 * - Nothing else is touched: posts (the visit form, verification decisions, the sync of
 *   queued visits and decisions) and JSON requests go to the network as they are.
 *
 * See docs/offline.md.
 */
'use strict';

var VERSION = '__HUMIAO_ASSET_VERSION__';
var SHELL = 'humiao-shell-' + VERSION;
var PAGES = 'humiao-pages';
var SHELL_URLS = [
  '/assets/app.css?v=' + VERSION,
  '/assets/app.js?v=' + VERSION,
  '/assets/offline.js?v=' + VERSION,
  '/assets/favicon.svg?v=' + VERSION,
  '/assets/icon.svg',
  '/assets/icon-192.png',
  '/manifest.webmanifest'
];
/* The pages kept for offline reading. */
var PAGE_PATHS = /^\/m\/(alerts|plan|verify|children)$|^\/m\/alerts\/[0-9]+\/visit$/;
/* Who the kept pages belong to (a cache entry, not a page). */
var OWNER_KEY = '/__humiao/owner';
var OFFLINE_USER = 'X-Humiao-Offline-User';
var SAVED_AT = 'X-Humiao-Saved-At';
/* How long a page may take on a poor signal before its kept copy is shown instead. */
var NETWORK_WAIT_MS = 8000;

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(SHELL_URLS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (k) {
          return k.indexOf('humiao-shell-') === 0 && k !== SHELL;
        }).map(function (k) { return caches.delete(k); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener('message', function (event) {
  if (event.data === 'logout') {
    event.waitUntil(dropPages());
  }
});

function dropPages() {
  return caches.delete(PAGES);
}

/* Keeps a copy of a director's page, dropping another user's copies first. */
function keepPage(key, response) {
  var owner = response.headers.get(OFFLINE_USER);
  return caches.open(PAGES).then(function (cache) {
    return cache.match(OWNER_KEY).then(function (stored) {
      return stored ? stored.text() : null;
    }).then(function (previous) {
      if (previous !== null && previous !== owner) {
        return dropPages().then(function () { return caches.open(PAGES); });
      }
      return cache;
    });
  }).then(function (cache) {
    return response.text().then(function (body) {
      var headers = new Headers(response.headers);
      headers.set(SAVED_AT, new Date().toISOString());
      headers.delete('Content-Length');  // the body is marked when it is shown
      return Promise.all([
        cache.put(OWNER_KEY, new Response(owner)),
        cache.put(key, new Response(body, { status: 200, headers: headers }))
      ]);
    });
  });
}

/* The kept copy of a page, marked as read from the phone. */
function keptPage(key) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(key);
  }).then(function (response) {
    if (!response) { return null; }
    var savedAt = response.headers.get(SAVED_AT) || '';
    return response.text().then(function (html) {
      html = html.replace('data-served="network"',
        'data-served="cache" data-saved-at="' + savedAt.replace(/[^0-9TZ:.\-]/g, '') + '"');
      return new Response(html, { status: 200, headers: response.headers });
    });
  });
}

function notKeptPage() {
  var html = '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>离线 · 护苗</title><link rel="stylesheet" href="/assets/app.css?v=' + VERSION + '">' +
    '</head><body class="layout-phone" data-served="cache"><header class="topbar">' +
    '<a class="brand" href="/m/alerts">护苗</a></header><main id="main">' +
    '<section class="card" id="offline-missing"><h1>当前无法连接服务器</h1>' +
    '<p>此页面还没有保存到本机。请在有网络时打开一次，以后离线也能查看。</p>' +
    '<p><a class="button" href="/m/alerts">我的预警</a> <a class="button" href="/m/plan">走访计划</a></p>' +
    '</section></main></body></html>';
  return new Response(html, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }
  });
}

function page(event) {
  var request = event.request;
  var url = new URL(request.url);
  var keepable = PAGE_PATHS.test(url.pathname);
  // The start page redirects to the director's alerts: offline, show those.
  var key = keepable ? url.pathname : (url.pathname === '/' ? '/m/alerts' : null);
  var network = fetch(request).then(function (response) {
    if (url.pathname === '/login' && response.ok) {
      // Signed out, or the session ended: another person may sign in on this phone.
      event.waitUntil(dropPages());
    } else if (keepable && !url.search && response.status === 200 &&
               response.headers.get(OFFLINE_USER)) {
      event.waitUntil(keepPage(url.pathname, response.clone()));
    }
    return response;
  });
  event.waitUntil(network.catch(function () {}));
  return new Promise(function (resolve) {
    var offline = function () {
      (key ? keptPage(key) : Promise.resolve(null)).then(function (kept) {
        resolve(kept || notKeptPage());
      });
    };
    network.then(resolve, offline);
    // A poor signal can keep a request hanging: after a while show the kept copy (the
    // network's answer still refreshes it for next time).
    if (key) {
      setTimeout(function () {
        keptPage(key).then(function (kept) { if (kept) { resolve(kept); } });
      }, NETWORK_WAIT_MS);
    }
  });
}

function shell(request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request).then(function (hit) {
      // A page kept under an older version asks for older asset URLs: any version will do.
      return hit || cache.match(request, { ignoreSearch: true });
    }).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        if (response.ok && new URL(request.url).pathname.indexOf('/assets/') === 0) {
          cache.put(request, response.clone());
        }
        return response;
      });
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === 'navigate') {
    event.respondWith(page(event));
  } else if (url.pathname.indexOf('/assets/') === 0 || url.pathname === '/manifest.webmanifest') {
    event.respondWith(shell(request));
  }
});
