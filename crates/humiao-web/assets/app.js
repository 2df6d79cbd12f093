/* Humiao: small progressive enhancements. Every page works without this file. */
(function () {
  'use strict';

  var MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  var ALLOWED_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

  /** The CSRF token of the session, for scripts that post. */
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }
  window.humiao = window.humiao || {};
  window.humiao.csrfToken = csrfToken;

  function byId(id) { return document.getElementById(id); }

  function setStatus(el, state, text) {
    el.setAttribute('data-state', state);
    el.textContent = text;
  }

  /* Visit form: position, photo checks, one submission only. */
  function initVisitForm(form) {
    var status = byId('gps-status');
    var lat = byId('lat');
    var lon = byId('lon');
    var accuracy = byId('accuracy');
    var retry = byId('gps-retry');
    var photo = byId('photo');
    var photoStatus = byId('photo-status');
    var submit = byId('visit-submit');

    function locate() {
      if (!('geolocation' in navigator)) {
        setStatus(status, 'error', '此设备不支持定位。可以不带位置提交，记录中将注明“未获取位置”。');
        return;
      }
      setStatus(status, 'pending', '正在获取位置…');
      navigator.geolocation.getCurrentPosition(function (pos) {
        var c = pos.coords;
        lat.value = c.latitude.toFixed(6);
        lon.value = c.longitude.toFixed(6);
        accuracy.value = c.accuracy ? c.accuracy.toFixed(0) : '';
        setStatus(status, 'ok', '已定位：' + c.latitude.toFixed(5) + ', ' + c.longitude.toFixed(5) +
          (c.accuracy ? '（精度约' + c.accuracy.toFixed(0) + '米）' : ''));
      }, function (err) {
        lat.value = '';
        lon.value = '';
        accuracy.value = '';
        var why = err && err.code === 1 ? '未获得定位权限' : (err && err.code === 3 ? '定位超时' : '无法获取位置');
        setStatus(status, 'error', why + '。可以点“重新定位”再试，或不带位置提交（记录中将注明“未获取位置”）。');
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }

    function checkPhotos() {
      var files = photo.files || [];
      var problems = [];
      for (var i = 0; i < files.length; i++) {
        var f = files[i];
        if (ALLOWED_TYPES.indexOf(f.type) < 0) {
          problems.push('“' + f.name + '”不是JPEG、PNG或WebP图片');
        } else if (f.size > MAX_PHOTO_BYTES && !window.humiao.offline) {
          // (On the director's phone, offline.js compresses photos before they are sent.)
          problems.push('“' + f.name + '”超过10MB');
        }
      }
      if (problems.length) {
        setStatus(photoStatus, 'error', problems.join('；') + '。请重新选择。');
      } else if (files.length) {
        setStatus(photoStatus, 'ok', '已选择' + files.length + '张照片。');
      } else {
        setStatus(photoStatus, 'pending', '');
      }
      return problems.length === 0;
    }

    if (retry) { retry.addEventListener('click', locate); }
    if (photo) { photo.addEventListener('change', checkPhotos); }
    form.addEventListener('submit', function (event) {
      if (photo && !checkPhotos()) {
        event.preventDefault();
        return;
      }
      if (!lat.value) {
        setStatus(status, 'error', '未获取位置：本次走访将不带位置提交。');
      }
      submit.disabled = true;
      submit.textContent = '正在提交…';
      // On the director's phone (offline.js): the visit is queued on the phone first and
      // sent from there, so a lost connection loses nothing. Otherwise: a plain post.
      var offline = window.humiao.offline;
      if (offline && offline.submitVisit) {
        event.preventDefault();
        var again = function () {
          submit.disabled = false;
          submit.textContent = '提交走访记录';
        };
        offline.submitVisit(form).then(function (result) {
          if (result.state === 'native') {
            form.submit();
          } else if (result.state !== 'sent') {
            again();
          }
        }, function () {
          // The form carries the same visit id: the server stores it once at most.
          form.submit();
        });
      }
    });
    // Coming back through the browser's history must not leave the button disabled.
    window.addEventListener('pageshow', function () {
      submit.disabled = false;
      submit.textContent = '提交走访记录';
    });
    locate();
  }

  document.addEventListener('DOMContentLoaded', function () {
    var visit = byId('visit-form');
    if (visit) { initVisitForm(visit); }
  });
})();
