/* Humiao on the child director's phone: offline reading and the queue of visits.
 *
 * Loaded on the director's pages only (body[data-offline-user]). Without this file, or
 * without IndexedDB, the visit form posts as a plain form. See docs/offline.md.
 *
 * - Registers the service worker (/sw.js), which keeps copies of the director's pages.
 * - The visit form: each visit gets its own id (a UUID) and the phone's time, its photos
 *   are compressed here (JPEG, longest side at most 1600 px, quality 0.7; the original is
 *   kept when that fails or is not smaller), and it is put in the queue (IndexedDB) before
 *   anything is sent. It then goes to POST /m/sync/visits; only the server's answer takes it
 *   out of the queue. No answer (no signal, server down: a failed fetch, whatever
 *   navigator.onLine says) leaves it queued: 「待同步 N 条」.
 * - Sync: on every director page load, on "online", when the page is shown again, every
 *   30 seconds, and on 「立即同步」. The CSRF token comes fresh from /m/sync/token; an
 *   ended session keeps the queue and asks the director to sign in again.
 * - Answers: created / duplicate leave the queue; conflict (the alert was closed meanwhile
 *   by another visit; this one is stored too) and refused (not stored: out of scope or
 *   invalid; the visit is kept here) go to 「同步冲突」, where the director reads why and
 *   dismisses or deletes them.
 * - Verification decisions (待核实, /m/verify) go the same way: the form's decision gets its
 *   own id, is checked here as the server would (so a decision made offline is not refused
 *   later for a missing reason), queued, and sent to POST /m/sync/verifications. Created or
 *   duplicate leave the queue; refused (decided meanwhile, the finding changed, out of scope)
 *   goes to 「同步冲突」. A queued decision shows on the list as 「已记录，待同步」.
 * - Signing out asks first when visits are still on the phone, and clears copies and queue.
 */
(function () {
  'use strict';

  var USER = document.body && document.body.getAttribute('data-offline-user');
  if (!USER) { return; }
  var humiao = window.humiao = window.humiao || {};

  var DB_NAME = 'humiao-offline';
  var PAGES_CACHE = 'humiao-pages';
  var MAX_SIDE = 1600;
  var QUALITY = 0.7;
  var TOKEN_TIMEOUT_MS = 20000;
  var UPLOAD_TIMEOUT_MS = 180000;
  var RETRY_MS = 30000;

  function byId(id) { return document.getElementById(id); }
  function mine(item) { return String(item.user_id) === USER; }

  /* ---- IndexedDB: "queue" (visits to send) and "problems" (「同步冲突」) ---- */

  var dbPromise = null;
  /* Opening the phone's database can hang (a busy or cold disk, some browsers' bugs): after
   * this long the caller falls back (a visit form is then posted as it is), and a later call
   * tries again. */
  var DB_OPEN_WAIT_MS = 4000;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error('IndexedDB unavailable')); return; }
        var gaveUp = false;
        var timer = setTimeout(function () {
          gaveUp = true;
          reject(new Error('IndexedDB did not open in time'));
        }, DB_OPEN_WAIT_MS);
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains('queue')) {
            db.createObjectStore('queue', { keyPath: 'client_id' });
          }
          if (!db.objectStoreNames.contains('problems')) {
            db.createObjectStore('problems', { keyPath: 'client_id' });
          }
        };
        request.onsuccess = function () {
          var db = request.result;
          clearTimeout(timer);
          // Too late for the caller, who has moved on: this connection is not used.
          if (gaveUp) { db.close(); return; }
          db.onversionchange = function () { db.close(); dbPromise = null; };
          resolve(db);
        };
        request.onerror = function () { clearTimeout(timer); reject(request.error); };
        request.onblocked = function () { clearTimeout(timer); reject(new Error('IndexedDB blocked')); };
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  /* Runs fn(stores…) in one transaction; resolves with the last request's result. */
  function transact(names, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var request = fn.apply(null, names.map(function (n) { return tx.objectStore(n); }));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function all(name) {
    return transact([name], 'readonly', function (store) { return store.getAll(); });
  }
  function put(name, value) {
    return transact([name], 'readwrite', function (store) { return store.put(value); });
  }
  function remove(name, key) {
    return transact([name], 'readwrite', function (store) { return store.delete(key); });
  }
  /* Takes a visit out of the queue and, in the same transaction, records what happened. */
  function moveToProblems(item, kind, message) {
    var problem = {
      client_id: item.client_id, user_id: item.user_id, kind: kind, message: message,
      child: item.child, recorded_at: item.recorded_at, alert_id: item.alert_id,
      what: isDecision(item) ? '核实结论（' + (item.label || '') + '）' : '走访',
      // Refused: not stored on the server, so the visit itself stays here until discarded.
      item: kind === 'refused' ? item : null
    };
    return transact(['queue', 'problems'], 'readwrite', function (queue, problems) {
      queue.delete(item.client_id);
      return problems.put(problem);
    });
  }

  /* ---- The sync bar: 「待同步 N 条」, status, queue and 「同步冲突」 ---- */

  var status = { text: '', kind: '' };
  function setStatus(text, kind) {
    status = { text: text, kind: kind || '' };
    render();
  }

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ''; }
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    return p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes());
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text) { e.textContent = text; }
    return e;
  }

  function isDecision(item) { return item.kind === 'verification'; }

  function describe(item) {
    if (isDecision(item)) {
      return (item.child || '') + ' · 核实结论（' + (item.label || '') + '） · ' +
        when(item.recorded_at) + ' 记录';
    }
    var photos = item.photos ? item.photos.length : 0;
    return (item.child || '走访') + ' · ' + when(item.recorded_at) + ' 记录' +
      (photos ? ' · ' + photos + '张照片' : '');
  }

  function problemItem(problem) {
    var li = el('li', 'sync-problem');
    li.setAttribute('data-kind', problem.kind);
    li.setAttribute('data-client-id', problem.client_id);
    li.appendChild(el('p', 'sync-problem-head',
      (problem.kind === 'conflict' ? '已保存，有冲突：' : '未能保存：') +
      (problem.child || '') + (problem.child ? ' · ' : '') + (problem.what || '走访') + ' · ' +
      when(problem.recorded_at) + ' 记录'));
    li.appendChild(el('p', 'sync-problem-message', problem.message));
    var actions = el('p', 'sync-problem-actions');
    if (problem.kind === 'refused' && problem.item) {
      var retry = el('button', 'button sync-retry', '重新同步');
      retry.type = 'button';
      retry.addEventListener('click', function () {
        transact(['queue', 'problems'], 'readwrite', function (queue, problems) {
          problems.delete(problem.client_id);
          return queue.put(problem.item);
        }).then(function () { return syncNow(); });
      });
      actions.appendChild(retry);
    }
    var discard = el('button', 'button sync-discard',
      problem.kind === 'conflict' ? '知道了' : '删除本机记录');
    discard.type = 'button';
    discard.addEventListener('click', function () {
      if (problem.kind !== 'conflict' &&
          !window.confirm('这条' + (problem.what || '走访') + '没有保存到服务器。删除后无法恢复，确定删除吗？')) {
        return;
      }
      remove('problems', problem.client_id).then(render);
    });
    actions.appendChild(discard);
    li.appendChild(actions);
    return li;
  }

  function render() {
    var bar = byId('sync-bar');
    if (!bar) { return Promise.resolve(); }
    return Promise.all([all('queue'), all('problems')]).then(function (lists) {
      var queue = lists[0].filter(mine);
      var others = lists[0].length - queue.length;
      var problems = lists[1].filter(mine);
      markQueuedDecisions(queue);
      byId('sync-count').textContent = '待同步 ' + queue.length + ' 条';
      bar.setAttribute('data-pending', String(queue.length));
      var list = byId('sync-queue');
      list.textContent = '';
      queue.forEach(function (item) { list.appendChild(el('li', 'sync-item', describe(item))); });
      if (others) {
        list.appendChild(el('li', 'sync-item muted',
          '另有 ' + others + ' 条记录由其他账号保存，需该账号登录后同步。'));
      }
      var statusLine = byId('sync-status');
      statusLine.textContent = status.text;
      statusLine.setAttribute('data-kind', status.kind);
      if (status.kind === 'session') {
        var link = el('a', '', '重新登录');
        link.href = '/login';
        statusLine.appendChild(document.createTextNode(' '));
        statusLine.appendChild(link);
      }
      var problemList = byId('sync-problem-list');
      problemList.textContent = '';
      problems.forEach(function (p) { problemList.appendChild(problemItem(p)); });
      byId('sync-problems').hidden = problems.length === 0;
      byId('sync-now').hidden = queue.length === 0;
      bar.hidden = !(queue.length || problems.length || others || status.text);
    }, function () { /* no IndexedDB: nothing queued here */ });
  }

  /* ---- Talking to the server ---- */

  function timed(ms) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, ms) : null;
    return {
      signal: controller ? controller.signal : undefined,
      done: function () { if (timer) { clearTimeout(timer); } }
    };
  }

  /* The server answers again: a page read from the phone says it can be refreshed. */
  function reachable() {
    var banner = byId('offline-banner');
    if (!banner || document.body.getAttribute('data-served') !== 'cache' ||
        banner.getAttribute('data-reachable')) {
      return;
    }
    banner.setAttribute('data-reachable', '1');
    banner.textContent = '已恢复连接。本页仍是上次同步的内容，';
    var link = el('a', '', '刷新查看最新内容');
    link.href = window.location.pathname;
    banner.appendChild(link);
  }

  /* The session's CSRF token: {kind: 'ok', token, user} | {kind: 'offline' | 'session' | 'server'}. */
  function fetchToken() {
    var t = timed(TOKEN_TIMEOUT_MS);
    return fetch('/m/sync/token', {
      credentials: 'same-origin', cache: 'no-store', redirect: 'manual', signal: t.signal,
      headers: { Accept: 'application/json' }
    }).then(function (res) {
      if (res.type === 'opaqueredirect' || res.status === 401 || res.status === 403) {
        return { kind: 'session' };
      }
      if (!res.ok) { return { kind: 'server', status: res.status }; }
      reachable();
      return res.json().then(function (json) {
        return { kind: 'ok', token: json.csrf_token, user: String(json.user_id) };
      });
    }).catch(function () {
      return { kind: 'offline' };
    }).then(function (result) { t.done(); return result; });
  }

  /* Posts one queued item to a sync endpoint and reads the answer:
     {kind: 'answer', answer} | {kind: 'offline' | 'session' | 'csrf' | 'server'}. */
  function post(url, body, timeoutMs, token) {
    var t = timed(timeoutMs);
    return fetch(url, {
      method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual',
      signal: t.signal, headers: { 'X-CSRF-Token': token, Accept: 'application/json' }
    }).then(function (res) {
      var type = res.headers.get('Content-Type') || '';
      if (type.indexOf('application/json') === 0) {
        return res.json().then(function (answer) {
          return answer && answer.status ? { kind: 'answer', answer: answer }
            : { kind: 'server', status: res.status };
        });
      }
      if (res.type === 'opaqueredirect') { return { kind: 'session' }; }
      if (res.status === 403) { return { kind: 'csrf' }; }
      return { kind: 'server', status: res.status };
    }).catch(function () {
      return { kind: 'offline' };
    }).then(function (result) { t.done(); return result; });
  }

  /* Sends one queued visit (or decision): the answers of post(). */
  function send(item, token) {
    if (isDecision(item)) { return sendDecision(item, token); }
    var form = new FormData();
    item.fields.forEach(function (pair) { form.append(pair[0], pair[1]); });
    form.append('client_id', item.client_id);
    form.append('alert_id', String(item.alert_id));
    form.append('recorded_at', item.recorded_at);
    item.photos.forEach(function (p) { form.append('photo', p.blob, p.name); });
    return post('/m/sync/visits', form, UPLOAD_TIMEOUT_MS, token);
  }

  /* Sends one queued decision: the answers of post(). */
  function sendDecision(item, token) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append('client_id', item.client_id);
    body.append('person_id', String(item.person_id));
    return post('/m/sync/verifications', body, TOKEN_TIMEOUT_MS, token);
  }

  /* Sends one visit with a fresh token, once more with a newer token if the first was stale. */
  function sendWithToken(item, holder) {
    var token = holder.token ? Promise.resolve(holder.token) : fetchToken();
    return token.then(function (tok) {
      if (tok.kind !== 'ok') { return tok; }
      if (tok.user !== String(item.user_id)) { return { kind: 'other-user' }; }
      holder.token = tok;
      return send(item, tok.token).then(function (result) {
        if (result.kind !== 'csrf') { return result; }
        holder.token = null;
        return fetchToken().then(function (fresh) {
          if (fresh.kind !== 'ok') { return fresh; }
          holder.token = fresh;
          return send(item, fresh.token).then(function (again) {
            return again.kind === 'csrf' ? { kind: 'session' } : again;
          });
        });
      });
    });
  }

  function failure(result) {
    switch (result.kind) {
      case 'offline':
        return ['无法连接服务器，记录已保存在本机。网络恢复后将自动同步。', 'offline'];
      case 'session':
        return ['请重新登录后同步（记录已保存在本机）。', 'session'];
      case 'other-user':
        return ['当前登录的账号不是保存这些记录的账号，请用原账号登录后同步。', 'session'];
      default:
        return ['服务器暂时无法处理' + (result.status ? '（错误 ' + result.status + '）' : '') +
          '，记录已保存在本机，稍后将自动重试。', 'server'];
    }
  }

  /* What an answer means for the queue; returns the answer's status. */
  function settle(item, answer) {
    switch (answer.status) {
      case 'created':
      case 'duplicate':
        return remove('queue', item.client_id).then(function () { return answer.status; });
      case 'conflict':
        return moveToProblems(item, 'conflict', answer.message).then(function () { return 'conflict'; });
      default:
        return moveToProblems(item, 'refused', answer.message ||
          (isDecision(item) ? '服务器拒绝保存这条核实结论。' : '服务器拒绝保存这条走访。'))
          .then(function () { return 'refused'; });
    }
  }

  function summary(counts) {
    var parts = [];
    if (counts.created) { parts.push('已同步 ' + counts.created + ' 条走访'); }
    if (counts.duplicate) { parts.push(counts.duplicate + ' 条此前已同步，未重复保存'); }
    if (counts.conflict) { parts.push(counts.conflict + ' 条已保存但有冲突，见「同步冲突」'); }
    if (counts.refused) { parts.push(counts.refused + ' 条未能保存，见「同步冲突」'); }
    if (counts.v_created) { parts.push('已同步 ' + counts.v_created + ' 条核实结论'); }
    if (counts.v_duplicate) { parts.push(counts.v_duplicate + ' 条核实结论此前已同步，未重复保存'); }
    if (counts.v_refused) { parts.push(counts.v_refused + ' 条核实结论未能保存，见「同步冲突」'); }
    return parts.join('；') + '。';
  }

  /* One sync at a time; the visit form waits for a running one. */
  var chain = Promise.resolve();
  function exclusive(task) {
    var result = chain.then(task, task);
    chain = result.catch(function () {});
    return result;
  }

  function syncQueue() {
    return all('queue').then(function (queue) {
      var items = queue.filter(mine).sort(function (a, b) {
        return a.recorded_at < b.recorded_at ? -1 : 1;
      });
      if (!items.length) { return null; }
      setStatus('正在同步 ' + items.length + ' 条记录…', 'busy');
      var counts = {
        created: 0, duplicate: 0, conflict: 0, refused: 0,
        v_created: 0, v_duplicate: 0, v_conflict: 0, v_refused: 0
      };
      var holder = { token: null };
      var next = function (i) {
        if (i >= items.length) {
          setStatus(summary(counts), 'done');
          return counts;
        }
        return sendWithToken(items[i], holder).then(function (result) {
          if (result.kind !== 'answer') {
            var f = failure(result);
            setStatus(f[0], f[1]);
            return counts;
          }
          return settle(items[i], result.answer).then(function (word) {
            counts[(isDecision(items[i]) ? 'v_' : '') + word] += 1;
            settledOnForm(items[i].client_id, word);
            return next(i + 1);
          });
        });
      };
      return next(0);
    });
  }

  var pendingSync = null;
  function syncNow() {
    if (!pendingSync) {
      pendingSync = exclusive(syncQueue).catch(function () { /* IndexedDB unavailable */ })
        .then(function (result) { pendingSync = null; render(); return result; });
    }
    return pendingSync;
  }

  /* ---- The visit form ---- */

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x < 16 ? '0' : '') + x.toString(16); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /* A photo as JPEG, longest side ≤ 1600 px, quality 0.7 — or the original when that fails
   * or is not smaller. Resolves {name, type, blob}. */
  function compress(file) {
    var original = { name: file.name || 'photo', type: file.type, blob: file };
    if (!window.createImageBitmap || !HTMLCanvasElement.prototype.toBlob) {
      return Promise.resolve(original);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';  // JPEG has no transparency
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (blob && blob.size > 0 && blob.size < file.size) {
            resolve({ name: original.name.replace(/\.[^.]*$/, '') + '.jpg', type: 'image/jpeg', blob: blob });
          } else {
            resolve(original);
          }
        }, 'image/jpeg', QUALITY);
      });
    }).catch(function () { return original; });
  }

  function buildItem(form, clientId) {
    var data = new FormData(form);
    var fields = [];
    data.forEach(function (value, name) {
      if (typeof value === 'string' && name !== 'csrf_token' && name !== 'client_id') {
        fields.push([name, value]);
      }
    });
    var files = data.getAll('photo').filter(function (f) {
      return f && typeof f !== 'string' && f.size > 0;
    });
    var photoStatus = byId('photo-status');
    if (files.length && photoStatus) { photoStatus.textContent = '正在压缩照片…'; }
    return files.reduce(function (done, file) {
      return done.then(function (photos) {
        return compress(file).then(function (p) { photos.push(p); return photos; });
      });
    }, Promise.resolve([])).then(function (photos) {
      if (files.length && photoStatus) { photoStatus.textContent = '照片已处理（' + photos.length + '张）。'; }
      return {
        client_id: clientId,
        user_id: USER,
        alert_id: Number(form.getAttribute('data-alert-id')),
        child: form.getAttribute('data-child-name') || '',
        recorded_at: new Date().toISOString(),
        fields: fields,
        photos: photos
      };
    });
  }

  function showErrors(form, message) {
    var box = byId('form-errors');
    if (!box) {
      box = el('div', 'form-error');
      box.id = 'form-errors';
      box.setAttribute('role', 'alert');
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = '';
    box.appendChild(el('p', '', '提交未成功，请修改后重试：'));
    box.appendChild(el('p', '', message));
    box.scrollIntoView();
  }

  /* The visit this form queued has been answered: say so where it said 「待同步」. */
  function settledOnForm(clientId, word) {
    var panel = byId('visit-queued');
    if (!panel || panel.hidden || panel.getAttribute('data-client-id') !== clientId) { return; }
    panel.querySelector('strong').textContent = {
      created: '这条走访已同步到服务器。',
      duplicate: '这条走访已同步到服务器。',
      conflict: '这条走访已同步，但有冲突，见上方「同步冲突」。',
      refused: '这条走访未能保存，见上方「同步冲突」。'
    }[word] || '';
    byId('visit-queued-reason').textContent = '';
  }

  function showQueued(form, item, result) {
    var f = failure(result);
    setStatus(f[0], f[1]);
    var panel = byId('visit-queued');
    if (panel) {
      panel.setAttribute('data-client-id', item.client_id);
      byId('visit-queued-reason').textContent = f[0];
      panel.hidden = false;
      form.hidden = true;
      panel.scrollIntoView();
    }
  }

  /* Called by app.js on submit. Resolves {state: 'sent' | 'queued' | 'invalid' | 'native'};
   * 'native': post the form as it is (no IndexedDB here). */
  function submitVisit(form) {
    var clientId = uuid();
    // A plain post of this form (the fallback) carries the same id: never stored twice.
    var field = form.querySelector('input[name="client_id"]');
    if (field) { field.value = clientId; }
    return openDb().then(function () {
      return buildItem(form, clientId);
    }).then(function (item) {
      return put('queue', item).then(function () { return item; });
    }).then(function (item) {
      render();
      return exclusive(function () {
        return sendWithToken(item, { token: null }).then(function (result) {
          if (result.kind !== 'answer') {
            showQueued(form, item, result);
            return { state: 'queued' };
          }
          var answer = result.answer;
          if (answer.status === 'refused') {
            // The director is on the form: say why, keep what they typed.
            return remove('queue', item.client_id).then(function () {
              showErrors(form, answer.message);
              return { state: 'invalid' };
            });
          }
          return settle(item, answer).then(function (word) {
            window.location.assign(word === 'conflict' ? '/m/alerts?done=conflict' : '/m/alerts?done=visit');
            return { state: 'sent' };
          });
        });
      });
    }, function () {
      return { state: 'native' };
    });
  }

  /* ---- Verification decisions (待核实) ---- */

  var MIN_TEXT = 4;
  var MAX_TEXT = 500;

  function formValue(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var field = form.querySelector('select[name="' + name + '"], textarea[name="' + name + '"]');
    return field ? field.value : '';
  }

  /* The server's checks (humiao_core::verification::validate), so that a decision made offline
   * is not refused at sync for something the director can fix now. */
  function decisionProblem(form) {
    var text = formValue(form, 'text').trim();
    var length = Array.from ? Array.from(text).length : text.length;
    if (length > MAX_TEXT) { return '说明不能超过' + MAX_TEXT + '字。'; }
    var verdict = formValue(form, 'verdict');
    if (verdict === 'confirmed') {
      return formValue(form, 'follow_up') ? null
        : '情况属实时，请选择后续处置：启动救助申请或纳入个案管理。';
    }
    if (verdict === 'rejected') {
      if (!formValue(form, 'reason')) { return '排除时，请选择排除原因。'; }
      return length < MIN_TEXT ? '排除时，请写明核实情况（' + MIN_TEXT + '至' + MAX_TEXT + '字）。' : null;
    }
    return '请选择核实结论：情况属实或排除。';
  }

  function showDecisionError(form, message) {
    var section = form.closest('.verify-item');
    var box = section && section.querySelector('.verify-error');
    if (!box) {
      box = el('div', 'form-error verify-error');
      box.setAttribute('role', 'alert');
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = '';
    box.appendChild(el('p', '', '提交未成功，请修改后重试：'));
    box.appendChild(el('p', '', message));
  }

  function decisionKey(personId, category) { return personId + ':' + category; }

  /* Findings with a decision waiting on the phone: the form gives way to 「已记录，待同步」. */
  function markQueuedDecisions(queue) {
    var queued = {};
    queue.filter(isDecision).forEach(function (item) {
      queued[decisionKey(item.person_id, item.category)] = item;
    });
    var forms = document.querySelectorAll('form.verify-form');
    Array.prototype.forEach.call(forms, function (form) {
      var category = form.querySelector('input[name="category"]');
      var item = queued[decisionKey(form.getAttribute('data-person-id'), category ? category.value : '')];
      var section = form.closest('.verify-item');
      if (!section) { return; }
      var note = section.querySelector('.verify-queued');
      var details = section.querySelector('.verify-decide');
      if (item) {
        if (!note) {
          note = el('p', 'notice verify-queued');
          note.setAttribute('role', 'status');
          section.appendChild(note);
        }
        note.textContent = '已记录核实结论（' + (item.verdict_label || '') + '），待同步。';
        if (details) { details.hidden = true; }
      } else if (note) {
        note.parentNode.removeChild(note);
        if (details) { details.hidden = false; }
      }
    });
  }

  /* Called on submit of a decision form. Resolves {state: 'sent' | 'queued' | 'invalid' | 'native'}. */
  function submitVerification(form) {
    var problem = decisionProblem(form);
    if (problem) {
      showDecisionError(form, problem);
      return Promise.resolve({ state: 'invalid' });
    }
    var clientId = uuid();
    var field = form.querySelector('input[name="client_id"]');
    if (field) { field.value = clientId; }
    var data = new FormData(form);
    var fields = [];
    data.forEach(function (value, name) {
      if (typeof value === 'string' && name !== 'csrf_token' && name !== 'client_id') {
        fields.push([name, value]);
      }
    });
    var verdict = formValue(form, 'verdict');
    var item = {
      kind: 'verification',
      client_id: clientId,
      user_id: USER,
      person_id: Number(form.getAttribute('data-person-id')),
      category: formValue(form, 'category') ||
        (form.querySelector('input[name="category"]') || {}).value,
      child: form.getAttribute('data-child-name') || '',
      label: form.getAttribute('data-label') || '',
      verdict_label: verdict === 'confirmed' ? '情况属实' : '排除',
      recorded_at: new Date().toISOString(),
      fields: fields
    };
    return openDb().then(function () {
      return put('queue', item);
    }).then(function () {
      render();
      return exclusive(function () {
        return sendWithToken(item, { token: null }).then(function (result) {
          if (result.kind !== 'answer') {
            var f = failure(result);
            setStatus(f[0], f[1]);
            return render().then(function () { return { state: 'queued' }; });
          }
          var answer = result.answer;
          if (answer.status === 'created' || answer.status === 'duplicate') {
            return remove('queue', item.client_id).then(function () {
              window.location.assign('/m/verify?done=' + verdict);
              return { state: 'sent' };
            });
          }
          // Refused while the director is on the page: say why here, keep what they chose.
          return remove('queue', item.client_id).then(function () {
            showDecisionError(form, answer.message || '核实结论未能保存。');
            return render().then(function () { return { state: 'invalid' }; });
          });
        });
      });
    }, function () {
      return { state: 'native' };
    });
  }

  function initVerifyForms() {
    var forms = document.querySelectorAll('form.verify-form');
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener('submit', function (event) {
        if (form.getAttribute('data-native')) { return; }
        event.preventDefault();
        var button = form.querySelector('button[type="submit"]');
        if (button) { button.disabled = true; }
        submitVerification(form).then(function (result) {
          if (button) { button.disabled = false; }
          if (result.state === 'native') {
            form.setAttribute('data-native', '1');
            form.submit();
          }
        }, function () {
          // The form carries the same decision id: the server stores it once at most.
          form.setAttribute('data-native', '1');
          form.submit();
        });
      });
    });
  }

  humiao.offline = {
    submitVisit: submitVisit, submitVerification: submitVerification, syncNow: syncNow,
    render: render
  };

  /* ---- Start ---- */

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {
      /* No service worker (e.g. not a secure context): pages just need the network. */
    });
  }

  if (document.body.getAttribute('data-served') === 'cache') {
    var savedAt = when(document.body.getAttribute('data-saved-at') || '');
    var savedLine = byId('offline-saved-at');
    if (savedAt && savedLine) { savedLine.textContent = '（保存于 ' + savedAt + '）'; }
  }

  initVerifyForms();

  var syncButton = byId('sync-now');
  if (syncButton) {
    syncButton.addEventListener('click', function () { syncNow(); });
  }

  var logout = byId('logout-form');
  if (logout) {
    logout.addEventListener('submit', function (event) {
      if (logout.getAttribute('data-confirmed')) { return; }
      event.preventDefault();
      Promise.all([all('queue'), all('problems')]).then(function (lists) {
        return lists[0].filter(mine).length +
          lists[1].filter(function (p) { return mine(p) && p.kind === 'refused'; }).length;
      }, function () { return 0; }).then(function (unsent) {
        if (unsent && !window.confirm('还有 ' + unsent +
            ' 条记录（走访或核实结论）没有保存到服务器。退出登录会从本机删除这些记录，确定退出吗？')) {
          return;
        }
        // Copies of pages and the queue are children's data: they leave with the session
        // (the server's Clear-Site-Data does the same where the browser supports it).
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage('logout');
        }
        var cleared = window.caches ? caches.delete(PAGES_CACHE).catch(function () {}) : Promise.resolve();
        return cleared.then(function () { return dbPromise; }).then(function (db) {
          if (db) { db.close(); }
          dbPromise = null;
          if (window.indexedDB) { indexedDB.deleteDatabase(DB_NAME); }
        }, function () {}).then(function () {
          logout.setAttribute('data-confirmed', '1');
          logout.submit();
        });
      });
    });
  }

  window.addEventListener('online', function () { syncNow(); });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { syncNow(); }
  });
  setInterval(function () { syncNow(); }, RETRY_MS);
  syncNow();
})();
