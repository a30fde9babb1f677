/*
 * Kefu 在线客服挂件 — embed with one tag:
 *   <script src="https://kefu.example.com/widget.js" data-kefu-server="https://kefu.example.com" async></script>
 * Plain ES2019, no dependencies, served as written. Protocol: docs/chat-widget.md.
 * Every message goes into an outbox kept in localStorage and leaves it only when the server has
 * acknowledged it (after its transaction committed); on reconnect the whole outbox is resent with
 * the same client ids and the server drops what it already has.
 */
(function () {
  'use strict';
  if (window.__kefuWidget) return;
  window.__kefuWidget = true;

  var script = document.currentScript || document.querySelector('script[data-kefu-server]') || document.querySelector('script[src*="widget.js"]');
  var server = ((script && script.getAttribute('data-kefu-server')) || (script && script.src ? new URL(script.src, location.href).origin : location.origin)).replace(/\/+$/, '');
  var KEY = 'kefu:' + server + ':';

  // ---------- language ----------

  /** The widget's words; the server's (queue texts, errors) follow the same language through `?lang=` and Accept-Language. */
  var TEXTS = {
    'zh-CN': {
      title: '在线客服', log: '聊天记录', placeholder: '请输入您的问题，Enter 发送，Shift+Enter 换行', message: '输入消息',
      attach: '发送附件', attachShort: '附件', send: '发送', survey: '服务评价', close: '关闭', unread: '{title}（{n} 条新消息）',
      badPhone: '手机号格式不正确', badEmail: '邮箱格式不正确', prechat: '您好！留下联系方式便于我们回访（均可不填）。',
      name: '称呼', phone: '手机号', email: '邮箱', start: '开始咨询', skip: '跳过',
      leaveIntro: '请留下您的问题和联系方式，我们会尽快回复。', leaveBody: '留言内容（必填）', leaveHint: '手机号、邮箱至少填写一项，便于我们回复您。',
      leaveSubmit: '提交留言', back: '返回', leaveBodyRequired: '请填写留言内容', leaveContactRequired: '请至少留下手机号或邮箱，便于我们联系您',
      downloadFailed: '附件下载失败，请稍后再试', sendFailed: '发送失败：{reason}', sending: '发送中…', agentAt: '客服 {time}',
      greeting: '您好，请问有什么可以帮您？', attachFirst: '请先发送一条消息，再上传附件',
      offline: '网络已断开。恢复后将自动重新连接，未发出的消息会自动补发。', reconnecting: '连接已断开，正在重新连接…', connecting: '正在连接…',
      closed: '本次会话已结束。如还需帮助，发送新消息即可开始新的咨询。', resolved: '客服已将问题标记为已解决。如仍有疑问，请直接回复。',
      left: '您的留言已提交，客服会尽快通过您留下的联系方式回复您。', leaveMessage: '留言',
      statusOffline: '网络已断开', statusConnecting: '连接中…', statusAssigned: '客服已接入', statusNoAgent: '客服不在线', statusOnline: '在线',
      typing: '客服正在输入…', csat5: '5 分 非常满意', csat4: '4 分 满意', csat3: '3 分 一般', csat2: '2 分 不满意', csat1: '1 分 非常不满意',
      solvedQ: '问题是否已解决？', solvedYes: '已解决', solvedNo: '未解决', csatQ: '请为本次服务打分',
      satisfiedQ: '您对本次服务是否满意？（选填）', satisfiedYes: '满意', satisfiedNo: '不满意',
      npsQ: '您有多大可能向亲友推荐我们？（0–10 分，选填）', comment: '意见或建议（选填；未解决请说明原因）',
      surveySubmit: '提交评价', later: '稍后再说', solvedRequired: '请选择问题是否已解决', surveyDisconnected: '连接已断开，请稍后再提交',
      submitting: '提交中…', surveyIntro: '请对本次服务进行评价（会话 #{number}）',
      thanksReopened: '感谢反馈，我们已重新处理您的问题，客服会尽快回复您。', thanks: '感谢您的评价！',
      uploading: '正在上传 {name}…', uploadFailed: '上传失败', uploadFailedWhy: '附件上传失败：{reason}', attachmentBody: '[附件] {name}',
      suggest: '这些文章也许能帮到您', needAgent: '仍需人工客服', selfSolved: '问题已解决', selfSolvedThanks: '很高兴问题已解决！如还有其他问题，随时发送消息即可。',
      articleFailed: '文章打开失败，请稍后再试', articleFiles: '附件',
      helpfulAsk: '这篇文章有帮助吗？', helpfulYes: '有帮助', helpfulNo: '没帮助', helpfulThanks: '感谢您的反馈！', helpfulFailed: '提交失败，请稍后再试',
    },
    'zh-TW': {
      title: '線上客服', log: '聊天記錄', placeholder: '請輸入您的問題，Enter 傳送，Shift+Enter 換行', message: '輸入訊息',
      attach: '傳送附件', attachShort: '附件', send: '傳送', survey: '服務評價', close: '關閉', unread: '{title}（{n} 則新訊息）',
      badPhone: '手機號碼格式不正確', badEmail: '電子郵件格式不正確', prechat: '您好！留下聯絡方式便於我們回訪（均可不填）。',
      name: '稱呼', phone: '手機號碼', email: '電子郵件', start: '開始諮詢', skip: '略過',
      leaveIntro: '請留下您的問題和聯絡方式，我們會盡快回覆。', leaveBody: '留言內容（必填）', leaveHint: '手機號碼、電子郵件至少填寫一項，便於我們回覆您。',
      leaveSubmit: '送出留言', back: '返回', leaveBodyRequired: '請填寫留言內容', leaveContactRequired: '請至少留下手機號碼或電子郵件，便於我們聯絡您',
      downloadFailed: '附件下載失敗，請稍後再試', sendFailed: '傳送失敗：{reason}', sending: '傳送中…', agentAt: '客服 {time}',
      greeting: '您好，請問有什麼可以幫您？', attachFirst: '請先傳送一則訊息，再上傳附件',
      offline: '網路已中斷。恢復後將自動重新連線，未送出的訊息會自動補發。', reconnecting: '連線已中斷，正在重新連線…', connecting: '正在連線…',
      closed: '本次對話已結束。如還需協助，傳送新訊息即可開始新的諮詢。', resolved: '客服已將問題標記為已解決。如仍有疑問，請直接回覆。',
      left: '您的留言已送出，客服會盡快透過您留下的聯絡方式回覆您。', leaveMessage: '留言',
      statusOffline: '網路已中斷', statusConnecting: '連線中…', statusAssigned: '客服已接入', statusNoAgent: '客服不在線', statusOnline: '在線',
      typing: '客服正在輸入…', csat5: '5 分 非常滿意', csat4: '4 分 滿意', csat3: '3 分 普通', csat2: '2 分 不滿意', csat1: '1 分 非常不滿意',
      solvedQ: '問題是否已解決？', solvedYes: '已解決', solvedNo: '未解決', csatQ: '請為本次服務評分',
      satisfiedQ: '您對本次服務是否滿意？（選填）', satisfiedYes: '滿意', satisfiedNo: '不滿意',
      npsQ: '您有多大可能向親友推薦我們？（0–10 分，選填）', comment: '意見或建議（選填；未解決請說明原因）',
      surveySubmit: '送出評價', later: '稍後再說', solvedRequired: '請選擇問題是否已解決', surveyDisconnected: '連線已中斷，請稍後再送出',
      submitting: '送出中…', surveyIntro: '請對本次服務進行評價（對話 #{number}）',
      thanksReopened: '感謝回饋，我們已重新處理您的問題，客服會盡快回覆您。', thanks: '感謝您的評價！',
      uploading: '正在上傳 {name}…', uploadFailed: '上傳失敗', uploadFailedWhy: '附件上傳失敗：{reason}', attachmentBody: '[附件] {name}',
      suggest: '這些文章也許能幫到您', needAgent: '仍需真人客服', selfSolved: '問題已解決', selfSolvedThanks: '很高興問題已解決！如還有其他問題，隨時傳送訊息即可。',
      articleFailed: '文章開啟失敗，請稍後再試', articleFiles: '附件',
      helpfulAsk: '這篇文章有幫助嗎？', helpfulYes: '有幫助', helpfulNo: '沒幫助', helpfulThanks: '感謝您的回饋！', helpfulFailed: '提交失敗，請稍後再試',
    },
    en: {
      title: 'Chat with us', log: 'Chat messages', placeholder: 'Type your question; Enter sends, Shift+Enter starts a new line', message: 'Message',
      attach: 'Send a file', attachShort: 'File', send: 'Send', survey: 'Rate our service', close: 'Close', unread: '{title} ({n} new messages)',
      badPhone: 'The phone number is not valid', badEmail: 'The email address is not valid', prechat: 'Hello! Leave your contact details so we can get back to you (all optional).',
      name: 'Name', phone: 'Phone', email: 'Email', start: 'Start chat', skip: 'Skip',
      leaveIntro: 'Leave your question and your contact details and we will reply soon.', leaveBody: 'Your message (required)', leaveHint: 'Give a phone number or an email address so we can reply.',
      leaveSubmit: 'Send message', back: 'Back', leaveBodyRequired: 'Please write your message', leaveContactRequired: 'Please give a phone number or an email address so we can contact you',
      downloadFailed: 'The file could not be downloaded; please try again later', sendFailed: 'Not sent: {reason}', sending: 'Sending…', agentAt: 'Agent {time}',
      greeting: 'Hello, how can we help you?', attachFirst: 'Send a message first, then a file',
      offline: 'You are offline. The chat reconnects when the network is back and sends what is waiting.', reconnecting: 'Disconnected; reconnecting…', connecting: 'Connecting…',
      closed: 'This chat has ended. Send a new message if you need more help.', resolved: 'The agent marked your question as solved. Reply if you still need help.',
      left: 'Your message was received; we will reply through the contact details you left.', leaveMessage: 'Leave a message',
      statusOffline: 'Offline', statusConnecting: 'Connecting…', statusAssigned: 'An agent is with you', statusNoAgent: 'No agent online', statusOnline: 'Online',
      typing: 'The agent is typing…', csat5: '5 Very satisfied', csat4: '4 Satisfied', csat3: '3 Neutral', csat2: '2 Dissatisfied', csat1: '1 Very dissatisfied',
      solvedQ: 'Is your problem solved?', solvedYes: 'Solved', solvedNo: 'Not solved', csatQ: 'Please rate this service',
      satisfiedQ: 'Are you satisfied with this service? (optional)', satisfiedYes: 'Satisfied', satisfiedNo: 'Not satisfied',
      npsQ: 'How likely are you to recommend us to friends or family? (0–10, optional)', comment: 'Comments (optional; if not solved, please tell us why)',
      surveySubmit: 'Submit', later: 'Later', solvedRequired: 'Please say whether your problem is solved', surveyDisconnected: 'Disconnected; please submit again in a moment',
      submitting: 'Submitting…', surveyIntro: 'Please rate our service (chat #{number})',
      thanksReopened: 'Thank you. We are looking into your problem again; an agent will reply soon.', thanks: 'Thank you for your feedback!',
      uploading: 'Uploading {name}…', uploadFailed: 'Upload failed', uploadFailedWhy: 'The file could not be sent: {reason}', attachmentBody: '[File] {name}',
      suggest: 'These articles may help', needAgent: 'I still need an agent', selfSolved: 'My problem is solved', selfSolvedThanks: 'Glad your problem is solved! Send a message any time if you need more help.',
      articleFailed: 'The article could not be opened; please try again later', articleFiles: 'Attachments',
      helpfulAsk: 'Was this article helpful?', helpfulYes: 'Yes', helpfulNo: 'No', helpfulThanks: 'Thanks for your feedback!', helpfulFailed: 'Could not send; please try again later',
    },
  };

  /** zh-CN, zh-TW or en for a language tag (any case, e.g. zh-HK, en-US), like the server reads Accept-Language; null for another language. */
  function localeOf(tag) {
    tag = String(tag || '').toLowerCase();
    if (/^zh-(tw|hk|mo|hant)\b/.test(tag)) return 'zh-TW';
    if (/^zh\b/.test(tag)) return 'zh-CN';
    if (/^en\b/.test(tag)) return 'en';
    return null;
  }
  /** The page's choice (data-kefu-lang), else the browser's languages in order, else Simplified Chinese. */
  var lang = [script && script.getAttribute('data-kefu-lang')].concat(navigator.languages || [navigator.language]).map(localeOf).filter(Boolean)[0] || 'zh-CN';

  function t(key, params) {
    return TEXTS[lang][key].replace(/\{(\w+)\}/g, function (m, k) { return params && k in params ? String(params[k]) : m; });
  }

  var wsUrl = server.replace(/^http/, 'ws') + '/api/chat/ws?lang=' + lang;
  var title = (script && script.getAttribute('data-kefu-title')) || t('title');
  /** Issue 6 §4: the first message of a conversation is searched in the help articles first, unless the page says off. */
  var searchFirst = !(script && script.getAttribute('data-kefu-search') === 'off');

  // ---------- storage ----------

  function load(name, fallback) {
    try {
      var raw = localStorage.getItem(KEY + name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }
  function save(name, value) {
    try {
      if (value === null) localStorage.removeItem(KEY + name);
      else localStorage.setItem(KEY + name, JSON.stringify(value));
    } catch (e) {
      /* private mode or full: the outbox still lives in memory for this page */
    }
  }

  var state = {
    token: load('token', null),
    contact: load('contact', null),
    /** Unacknowledged frames, oldest first: {type, clientId, body, attachmentIds, name, phone, email, at} */
    outbox: load('outbox', []),
    messages: [],
    failed: [],
    conversation: null,
    lastSeen: null,
    ws: null,
    ready: false,
    attempt: 0,
    reconnectTimer: null,
    retryTimer: null,
    open: false,
    /** The newest message shown with the panel open (kept across page loads): later replies are unread. */
    read: load('read', null),
    queue: null,
    agentTypingUntil: 0,
    typingSentAt: 0,
    typingOffTimer: null,
    view: 'chat',
    /** The open invitation to confirm the result and rate (S3/S4), from a `survey` frame. */
    survey: null,
    surveyThanks: '',
    /**
     * The first message, held while the help articles are searched and while the articles found are
     * offered: {key, body, search (the search's answer, once it has results), opened (article id)}.
     * Kept across page loads once offered, so a reload does not lose it.
     */
    held: load('held', null),
    /** The visitor said an article solved their problem: thanked until they write again. */
    selfSolved: false,
  };

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  // ---------- DOM ----------

  var host = document.createElement('div');
  host.setAttribute('data-kefu-widget', '');
  host.setAttribute('lang', lang);
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var css =
    ':host{all:initial}' +
    '*{box-sizing:border-box;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif}' +
    '.kf-btn{position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#1f6feb;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:15px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}' +
    '.kf-badge{display:inline-block;min-width:18px;margin-left:6px;padding:0 5px;border-radius:9px;background:#e5484d;font-size:12px;line-height:18px;text-align:center}' +
    '.kf-panel{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:360px;max-width:calc(100vw - 24px);height:540px;max-height:calc(100vh - 100px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;font-size:14px;color:#222}' +
    '.kf-head{background:#1f6feb;color:#fff;padding:10px 14px;display:flex;align-items:center;justify-content:space-between}' +
    '.kf-head b{font-size:16px}.kf-status{font-size:12px;opacity:.85}' +
    '.kf-x{background:none;border:0;color:#fff;font-size:20px;cursor:pointer;line-height:1}' +
    '.kf-notice{background:#fff7e6;color:#8a5a00;padding:8px 12px;font-size:13px;border-bottom:1px solid #f5e1b8}' +
    '.kf-notice button{margin-left:8px}' +
    '.kf-list{flex:1;overflow-y:auto;padding:12px;background:#f5f6f8}' +
    '.kf-row{display:flex;margin:6px 0}.kf-row.me{justify-content:flex-end}.kf-row.sys{justify-content:center}' +
    '.kf-bubble{max-width:78%;padding:8px 11px;border-radius:10px;background:#fff;white-space:pre-wrap;word-break:break-word;box-shadow:0 1px 1px rgba(0,0,0,.05)}' +
    '.me .kf-bubble{background:#d6e6ff}.sys .kf-bubble{background:transparent;box-shadow:none;color:#777;font-size:12px;text-align:center}' +
    '.kf-meta{font-size:11px;color:#888;margin-top:3px}.kf-fail{color:#c62828}' +
    '.kf-file{display:block;color:#1f6feb;cursor:pointer;text-decoration:underline;margin-top:4px;background:none;border:0;padding:0;font-size:13px;text-align:left}' +
    '.kf-typing{font-size:12px;color:#888;padding:0 14px;height:18px}' +
    '.kf-compose{display:flex;gap:6px;padding:8px;border-top:1px solid #e6e8eb;align-items:flex-end}' +
    '.kf-compose textarea{flex:1;resize:none;height:60px;border:1px solid #d0d4d9;border-radius:8px;padding:6px 8px;font-size:14px}' +
    '.kf-compose button,.kf-form button,.kf-notice button{background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:7px 12px;cursor:pointer;font-size:13px}' +
    '.kf-compose button.kf-plain,.kf-form button.kf-plain{background:#eef1f5;color:#333}' +
    'button[disabled]{opacity:.5;cursor:not-allowed}' +
    '.kf-form{flex:1;overflow-y:auto;padding:16px}.kf-form p{margin:0 0 10px;color:#555}' +
    '.kf-form label{display:block;margin:8px 0 3px;font-size:13px;color:#444}' +
    '.kf-form input,.kf-form textarea{width:100%;border:1px solid #d0d4d9;border-radius:6px;padding:7px 8px;font-size:14px}' +
    '.kf-form textarea{height:100px;resize:vertical}.kf-actions{margin-top:14px;display:flex;gap:8px}' +
    '.kf-err{color:#c62828;font-size:12px;min-height:16px;margin-top:6px}' +
    '.kf-survey{border-top:1px solid #e6e8eb;padding:8px 12px;max-height:55%;overflow-y:auto;background:#fbfcfe}' +
    '.kf-survey fieldset{border:0;margin:0 0 6px;padding:0}.kf-survey legend{font-size:13px;font-weight:600;margin-bottom:2px;padding:0}' +
    '.kf-survey label{display:inline-block;margin:2px 8px 2px 0;font-size:13px;cursor:pointer}' +
    '.kf-survey textarea{width:100%;height:48px;border:1px solid #d0d4d9;border-radius:6px;padding:4px 6px;font-size:13px;resize:none}' +
    '.kf-survey button{background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:6px 14px;cursor:pointer;font-size:13px;margin-top:4px}' +
    '.kf-survey .kf-plain{background:#eef1f5;color:#333;margin-left:6px}' +
    '.kf-card{max-width:90%;padding:10px 12px;border-radius:10px;background:#fff;box-shadow:0 1px 1px rgba(0,0,0,.05)}.kf-card-h{font-weight:600;margin-bottom:4px}' +
    '.kf-card .kf-link{display:block;background:none;border:0;padding:4px 0;color:#1f6feb;cursor:pointer;font-size:14px;text-align:left;text-decoration:underline}' +
    '.kf-card .kf-actions{margin-top:8px}.kf-card .kf-actions button{background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:6px 10px;cursor:pointer;font-size:13px}' +
    '.kf-card .kf-actions button.kf-plain{background:#eef1f5;color:#333}mark{background:#fff1a8;color:inherit}' +
    '.kf-files{margin-top:12px}.kf-files a{display:block;padding:3px 0;color:#1f6feb;word-break:break-all}' +
    '.kf-article{white-space:pre-wrap;word-break:break-word;line-height:1.6;margin-top:8px}.kf-form h3{margin:12px 0 0;font-size:16px}' +
    '.kf-helpful{margin-top:14px;display:flex;flex-wrap:wrap;align-items:center;gap:8px}.kf-form .kf-helpful button[aria-pressed="true"]{background:#1f6feb;color:#fff}.kf-helpful-status{color:#389e0d}';

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else if (k.indexOf('on') === 0) node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  var badge = el('span', { class: 'kf-badge', style: 'display:none' });
  var button = el('button', { class: 'kf-btn', type: 'button', 'aria-label': title, 'aria-expanded': 'false', onclick: toggle }, [document.createTextNode('💬 ' + title), badge]);
  var statusLine = el('div', { class: 'kf-status', text: '' });
  var notice = el('div', { class: 'kf-notice', style: 'display:none', role: 'status' });
  var list = el('div', { class: 'kf-list', role: 'log', 'aria-live': 'polite', 'aria-label': t('log'), tabindex: '0' });
  var typingLine = el('div', { class: 'kf-typing', role: 'status' });
  var input = el('textarea', { placeholder: t('placeholder'), 'aria-label': t('message'), maxlength: '5000' });
  var fileInput = el('input', { type: 'file', style: 'display:none' });
  var attachBtn = el('button', { type: 'button', class: 'kf-plain', title: t('attach'), 'aria-label': t('attach'), text: t('attachShort') });
  var sendBtn = el('button', { type: 'button', text: t('send') });
  var compose = el('div', { class: 'kf-compose' }, [input, attachBtn, sendBtn, fileInput]);
  var surveyBox = el('div', { class: 'kf-survey', style: 'display:none', role: 'region', 'aria-label': t('survey') });
  var chatView = el('div', { style: 'display:flex;flex-direction:column;flex:1;min-height:0' }, [notice, list, typingLine, surveyBox, compose]);
  var formView = el('div', { class: 'kf-form', style: 'display:none' });
  var panel = el('div', { class: 'kf-panel', style: 'display:none', role: 'dialog', 'aria-label': title }, [
    el('div', { class: 'kf-head' }, [el('div', {}, [el('b', { text: title }), statusLine]), el('button', { class: 'kf-x', type: 'button', 'aria-label': t('close'), text: '×', onclick: toggle })]),
    chatView,
    formView,
  ]);
  root.appendChild(el('style', { text: css }));
  root.appendChild(panel);
  root.appendChild(button);

  function mount() {
    document.body.appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  // ---------- views ----------

  function toggle() {
    state.open = !state.open;
    panel.style.display = state.open ? 'flex' : 'none';
    button.setAttribute('aria-expanded', String(state.open));
    if (!state.open) return button.focus();
    markRead();
    if (!state.token && !state.contact) return showPrechat();
    connect();
    if (state.view === 'chat') input.focus();
  }

  panel.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape' && state.open) {
      ev.preventDefault();
      toggle();
    }
  });

  function markRead() {
    var last = state.messages[state.messages.length - 1];
    if (state.open && last && last.id !== state.read) {
      state.read = last.id;
      save('read', state.read);
    }
    renderBadge();
  }

  function renderBadge() {
    var read = state.read;
    var unread = state.messages.filter(function (m) { return m.author !== 'customer' && (!read || m.id > read); }).length;
    badge.textContent = String(unread);
    badge.style.display = unread > 0 ? 'inline-block' : 'none';
    button.setAttribute('aria-label', unread > 0 ? t('unread', { title: title, n: unread }) : title);
  }

  var fieldSeq = 0;
  /** A labelled control: the label is tied to it by id (inside the shadow root), so screen readers and clicks find it. */
  function field(label, name, type, value, extra) {
    var id = 'kf-f' + ++fieldSeq;
    var attrs = { id: id, name: name };
    if (type !== 'textarea') attrs.type = type || 'text';
    Object.keys(extra || {}).forEach(function (k) { attrs[k] = extra[k]; });
    var control = el(type === 'textarea' ? 'textarea' : 'input', attrs);
    control.value = value || '';
    return [el('label', { text: label, for: id }), control];
  }

  /** Shows a form's problem in the widget's language (the browser's own bubbles follow its UI language): on the field at fault, read out, focused. */
  function invalid(form, err, name, text) {
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (n) { n.removeAttribute('aria-invalid'); });
    err.textContent = text;
    var node = name && form.querySelector('[name="' + name + '"]');
    if (node) {
      node.setAttribute('aria-invalid', 'true');
      node.setAttribute('aria-describedby', err.id);
      node.focus();
    }
  }

  function errorLine() {
    return el('div', { class: 'kf-err', role: 'alert', id: 'kf-err' + ++fieldSeq });
  }

  function showForm(nodes) {
    state.view = 'form';
    formView.textContent = '';
    nodes.forEach(function (n) { if (n) formView.appendChild(n); });
    chatView.style.display = 'none';
    formView.style.display = 'block';
    var first = formView.querySelector('input,textarea,button');
    if (first) first.focus();
  }

  function showChat() {
    state.view = 'chat';
    formView.style.display = 'none';
    chatView.style.display = 'flex';
    input.focus();
  }

  function valueOf(form, name) {
    var node = form.querySelector('[name="' + name + '"]');
    return node && node.value.trim() ? node.value.trim() : undefined;
  }

  var PHONE = /^\+?[0-9][0-9 \-]{4,18}[0-9]$/;
  var EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  /** [field, message] of the first bad contact detail, or null. */
  function contactError(c) {
    if (c.phone && !PHONE.test(c.phone)) return ['phone', t('badPhone')];
    if (c.email && !EMAIL.test(c.email)) return ['email', t('badEmail')];
    return null;
  }

  function showPrechat() {
    var err = errorLine();
    var form = el('form', { novalidate: '' }, [el('p', { text: t('prechat') })]
      .concat(field(t('name'), 'name', 'text', '', { maxlength: '50', autocomplete: 'name' }))
      .concat(field(t('phone'), 'phone', 'tel', '', { maxlength: '20', autocomplete: 'tel' }))
      .concat(field(t('email'), 'email', 'email', '', { maxlength: '200', autocomplete: 'email' }))
      .concat([err, el('div', { class: 'kf-actions' }, [el('button', { type: 'submit', text: t('start') }), el('button', { type: 'button', class: 'kf-plain', text: t('skip'), onclick: function () { start({}); } })])]));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var c = { name: valueOf(form, 'name'), phone: valueOf(form, 'phone'), email: valueOf(form, 'email') };
      var problem = contactError(c);
      if (problem) return invalid(form, err, problem[0], problem[1]);
      start(c);
    });
    showForm([form]);
  }

  function start(contact) {
    state.contact = contact;
    save('contact', contact);
    showChat();
    connect();
  }

  function showLeaveMessage() {
    var c = state.contact || {};
    var err = errorLine();
    var form = el('form', { novalidate: '' }, [el('p', { text: (state.queue && state.queue.text) || t('leaveIntro') })]
      .concat(field(t('leaveBody'), 'body', 'textarea', '', { maxlength: '5000', required: '', 'aria-required': 'true' }))
      .concat([el('p', { text: t('leaveHint'), style: 'margin:10px 0 0;font-size:12px' })])
      .concat(field(t('name'), 'name', 'text', c.name, { maxlength: '50', autocomplete: 'name' }))
      .concat(field(t('phone'), 'phone', 'tel', c.phone, { maxlength: '20', autocomplete: 'tel' }))
      .concat(field(t('email'), 'email', 'email', c.email, { maxlength: '200', autocomplete: 'email' }))
      .concat([err, el('div', { class: 'kf-actions' }, [el('button', { type: 'submit', text: t('leaveSubmit') }), el('button', { type: 'button', class: 'kf-plain', text: t('back'), onclick: showChat })])]));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = valueOf(form, 'body');
      var contact = { name: valueOf(form, 'name'), phone: valueOf(form, 'phone'), email: valueOf(form, 'email') };
      if (!body) return invalid(form, err, 'body', t('leaveBodyRequired'));
      if (!contact.phone && !contact.email) return invalid(form, err, 'phone', t('leaveContactRequired'));
      var problem = contactError(contact);
      if (problem) return invalid(form, err, problem[0], problem[1]);
      state.contact = contact;
      save('contact', contact);
      enqueue({ type: 'leave_message', body: body, name: contact.name, phone: contact.phone, email: contact.email });
      showChat();
    });
    showForm([form]);
  }

  // ---------- messages ----------

  function formatSize(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB';
  }

  /** The visitor's token; Accept-Language (CORS-safelisted, so no preflight needs it) has the server's errors in the widget's language. */
  function visitorHeaders() {
    return { 'X-Kefu-Visitor': state.token, 'Accept-Language': lang };
  }

  function download(file) {
    fetch(server + '/api/chat/attachments/' + encodeURIComponent(file.id), { headers: visitorHeaders() })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el('a', { href: url, download: file.fileName });
        root.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      })
      .catch(function () { flash(t('downloadFailed')); });
  }

  function bubble(m, pending, failure) {
    var mine = m.author === 'customer';
    var row = el('div', { class: 'kf-row ' + (m.author === 'system' ? 'sys' : mine ? 'me' : 'them') });
    var box = el('div', { class: 'kf-bubble' }, [document.createTextNode(m.body)]);
    (m.attachments || []).forEach(function (f) {
      box.appendChild(el('button', { type: 'button', class: 'kf-file', text: '📎 ' + f.fileName + '（' + formatSize(f.size) + '）', onclick: function () { download(f); } }));
    });
    var when = m.createdAt ? new Date(m.createdAt).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }) : '';
    var meta = failure ? el('div', { class: 'kf-meta kf-fail', text: t('sendFailed', { reason: failure }) }) : el('div', { class: 'kf-meta', text: pending ? t('sending') : m.author === 'agent' ? t('agentAt', { time: when }) : when });
    box.appendChild(meta);
    row.appendChild(box);
    return row;
  }

  /** Rows on screen by key; kept across renders so the live log announces only what is new. */
  var rows = {};

  function render() {
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    var wanted = [];
    if (state.messages.length === 0 && state.outbox.length === 0 && state.failed.length === 0 && !state.held) {
      wanted.push(['greeting', function () { return el('div', { class: 'kf-row sys' }, [el('div', { class: 'kf-bubble', text: t('greeting') })]); }]);
    }
    state.messages.forEach(function (m) { wanted.push(['m:' + m.id, function () { return bubble(m, false); }]); });
    state.failed.forEach(function (f) { wanted.push(['f:' + f.clientId, function () { return bubble({ author: 'customer', body: f.body }, false, f.reason); }]); });
    state.outbox.forEach(function (o) { wanted.push(['o:' + o.clientId, function () { return bubble({ author: 'customer', body: o.body, attachments: o.files }, true); }]); });
    var held = state.held;
    if (held) {
      wanted.push(['h:' + held.key + !!held.search, function () { return bubble({ author: 'customer', body: held.body }, !held.search); }]);
      if (held.search) wanted.push(['s:' + held.key, function () { return suggestions(held); }]);
    }
    if (state.selfSolved) wanted.push(['solved', function () { return el('div', { class: 'kf-row sys' }, [el('div', { class: 'kf-bubble', text: t('selfSolvedThanks') })]); }]);
    var next = {};
    wanted.forEach(function (w, i) {
      var node = rows[w[0]] || w[1]();
      next[w[0]] = node;
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    });
    Object.keys(rows).forEach(function (k) { if (!next[k]) rows[k].remove(); });
    rows = next;
    if (atBottom || state.outbox.length) list.scrollTop = list.scrollHeight;
    attachBtn.disabled = !state.conversation || state.conversation.status === 'closed';
    attachBtn.title = attachBtn.disabled ? t('attachFirst') : t('attach');
  }

  /** Messages arrive from the welcome, from pushes and after acks; each is shown once, in id (time) order. */
  function addMessages(incoming) {
    var known = {};
    state.messages.forEach(function (m) { known[m.id] = true; });
    var fresh = incoming.filter(function (m) { return !known[m.id]; });
    if (fresh.length === 0) return;
    state.messages = state.messages.concat(fresh).sort(function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; });
    state.lastSeen = state.messages[state.messages.length - 1].id;
    var fromAgent = fresh.filter(function (m) { return m.author !== 'customer'; });
    if (fromAgent.length) state.agentTypingUntil = 0;
    markRead();
    render();
    renderTyping();
  }

  /** A passing notice (upload progress, an error) shown for 5 s over the standing one. */
  var flashed = { text: '', until: 0 };
  function flash(text) {
    flashed = { text: text, until: Date.now() + 5000 };
    renderNotice();
    setTimeout(renderNotice, 5100);
  }

  /** What the notice says now, so that an unchanged one is not rewritten (and read out) after every frame. */
  var noticeShown = null;

  function renderNotice() {
    var q = state.queue;
    var c = state.conversation;
    var text = '';
    if (Date.now() < flashed.until) text = flashed.text;
    else if (!state.ready && offline()) text = t('offline');
    else if (!state.ready) text = t(state.attempt > 0 ? 'reconnecting' : 'connecting');
    else if (c && c.status === 'closed') text = t('closed');
    else if (c && c.status === 'resolved') text = t('resolved');
    else if (c && c.leftMessage && !c.assigned) text = t('left');
    else if (q) text = q.text;
    var offer = !!(q && text === q.text && state.ready && q.leaveMessage);
    var shown = text + (offer ? '|offer' : '');
    // Rebuilding the same notice would read it out again and take the focus off its 留言 button.
    if (shown === noticeShown) return;
    noticeShown = shown;
    notice.textContent = '';
    if (!text) return (notice.style.display = 'none');
    notice.style.display = 'block';
    notice.appendChild(document.createTextNode(text));
    if (offer) notice.appendChild(el('button', { type: 'button', text: t('leaveMessage'), onclick: showLeaveMessage }));
  }

  function renderStatus() {
    var c = state.conversation;
    statusLine.textContent = t(!state.ready ? (offline() ? 'statusOffline' : 'statusConnecting') : c && c.assigned && c.status !== 'closed' ? 'statusAssigned' : state.queue && state.queue.reason === 'no_agent_online' ? 'statusNoAgent' : 'statusOnline');
  }

  function renderTyping() {
    var text = Date.now() < state.agentTypingUntil ? t('typing') : '';
    // Rewriting the same words would have the live region read them out again every second.
    if (typingLine.textContent !== text) typingLine.textContent = text;
  }

  // ---------- help articles before a person (issue 6 §4) ----------

  /** Whether this message would open a conversation: only then are the help articles searched first. */
  function searchesFirst() {
    var c = state.conversation;
    // Before the welcome the widget neither knows the conversation nor has the token the search is counted under.
    return searchFirst && state.ready && !state.outbox.length && (!c || c.status === 'closed');
  }

  /** Holds the message while the articles are searched; no answer within 1.5 s (or an error, or no article) sends it as usual. */
  function suggest(body) {
    var held = { key: newClientId(), body: body, search: null, opened: null };
    state.held = held;
    render();
    var abort = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (abort) abort.abort();
      release(held);
    }, 1500);
    fetch(server + '/api/help-searches?limit=3&q=' + encodeURIComponent(body.slice(0, 2000)), { headers: visitorHeaders(), signal: abort ? abort.signal : undefined })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.json();
      })
      .then(function (found) {
        clearTimeout(timer);
        if (state.held !== held) return;
        if (!found.data.length) return release(held);
        held.search = { searchId: found.searchId, data: found.data.slice(0, 3) };
        save('held', held);
        render();
      })
      .catch(function () {
        clearTimeout(timer);
        release(held);
      });
  }

  /** Sends the held message the usual way (outbox, ack, resend). */
  function release(held) {
    if (!held || state.held !== held) return;
    state.held = null;
    save('held', null);
    enqueue({ type: 'message', body: held.body });
  }

  /** Text with the search's hits in <mark>, built from text nodes: the server's text is never parsed as HTML. */
  function marked(parts) {
    return parts.map(function (p) { return p.hit ? el('mark', { text: p.text }) : document.createTextNode(p.text); });
  }

  function suggestions(held) {
    var card = el('div', { class: 'kf-card', role: 'group', 'aria-label': t('suggest') }, [el('div', { class: 'kf-card-h', text: t('suggest') })]);
    held.search.data.forEach(function (r) {
      card.appendChild(el('button', { type: 'button', class: 'kf-link', onclick: function () { openArticle(held, r.article.id); } }, marked(r.title)));
    });
    card.appendChild(el('div', { class: 'kf-actions' }, [
      el('button', { type: 'button', text: t('needAgent'), onclick: function () { release(held); input.focus(); } }),
      el('button', { type: 'button', class: 'kf-plain', text: t('selfSolved'), onclick: function () { solvedByArticle(held); } }),
    ]));
    return el('div', { class: 'kf-row' }, [card]);
  }

  function postJson(path, body) {
    var headers = visitorHeaders();
    headers['Content-Type'] = 'application/json';
    return fetch(server + path, { method: 'POST', headers: headers, body: JSON.stringify(body) }).then(function (res) {
      if (!res.ok) throw new Error(String(res.status));
      return res.json();
    });
  }

  /**
   * Counts the reading (and a "solved") for the visitor's deflection; answers the reading's id, or
   * null when it was not counted: a lost count is not worth troubling the visitor.
   */
  function recordView(articleId, searchId, resolved) {
    var body = { resolved: resolved };
    if (searchId) body.searchId = searchId;
    return postJson('/api/help-articles/' + encodeURIComponent(articleId) + '/views', body).then(function (v) { return v.id; }, function () { return null; });
  }

  /** "这篇文章有帮助吗？" under an article whose reading was counted; the visitor may change their answer. */
  function helpfulBox(articleId, viewIdPromise) {
    var status = el('span', { role: 'status', class: 'kf-helpful-status' });
    var box = el('div', { class: 'kf-helpful', role: 'group', 'aria-label': t('helpfulAsk') }, [el('span', { text: t('helpfulAsk') })]);
    box.style.display = 'none';
    var buttons = [[true, t('helpfulYes')], [false, t('helpfulNo')]].map(function (o) {
      return el('button', { type: 'button', class: 'kf-plain', text: o[1], 'aria-pressed': 'false', onclick: function () { answer(o[0]); } });
    });
    var viewId = null;
    function answer(helpful) {
      postJson('/api/help-articles/' + encodeURIComponent(articleId) + '/views/' + encodeURIComponent(viewId) + '/votes', { helpful: helpful }).then(function () {
        buttons[0].setAttribute('aria-pressed', String(helpful));
        buttons[1].setAttribute('aria-pressed', String(!helpful));
        status.textContent = t('helpfulThanks');
      }, function () { status.textContent = t('helpfulFailed'); });
    }
    buttons.forEach(function (b) { box.appendChild(b); });
    box.appendChild(status);
    viewIdPromise.then(function (id) {
      viewId = id;
      if (id) box.style.display = '';
    });
    return box;
  }

  function openArticle(held, id) {
    fetch(server + '/api/help-articles/' + encodeURIComponent(id), { headers: { 'Accept-Language': lang } })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.json();
      })
      .then(function (a) {
        held.opened = id;
        if (state.held === held) save('held', held);
        var viewed = recordView(id, held.search.searchId, false);
        showForm([el('button', { type: 'button', class: 'kf-plain', text: t('back'), onclick: showChat }), el('h3', { text: a.title }), el('div', { class: 'kf-article', text: a.body }), articleFiles(a.attachments), helpfulBox(id, viewed)]);
      })
      .catch(function () { flash(t('articleFailed')); });
  }

  /** The article's files, each opening in a new tab so the chat stays where it is; null when there are none. */
  function articleFiles(files) {
    if (!files.length) return null;
    return el('div', { class: 'kf-files', role: 'group', 'aria-label': t('articleFiles') }, [el('div', { class: 'kf-card-h', text: t('articleFiles') })].concat(files.map(function (f) {
      return el('a', { href: server + '/api/help-attachments/' + encodeURIComponent(f.id), target: '_blank', rel: 'noopener', text: f.fileName });
    })));
  }

  /** The visitor needs nobody: the held message is not sent, and the article (last opened, else the first) is counted as the answer. */
  function solvedByArticle(held) {
    if (state.held !== held) return;
    state.held = null;
    save('held', null);
    state.selfSolved = true;
    recordView(held.opened || held.search.data[0].article.id, held.search.searchId, true);
    render();
    input.focus();
  }

  // ---------- survey (result confirmation and rating) ----------

  function radios(name, legend, options) {
    var set = el('fieldset', {}, [el('legend', { text: legend })]);
    options.forEach(function (o) {
      set.appendChild(el('label', {}, [el('input', { type: 'radio', name: name, value: o[0] }), document.createTextNode(' ' + o[1])]));
    });
    return set;
  }

  function picked(form, name) {
    var node = form.querySelector('input[name="' + name + '"]:checked');
    return node ? node.value : null;
  }

  /** The error line of the survey form on screen, while its answer is on the way. */
  var surveySending = null;

  function renderSurvey() {
    var s = state.survey;
    if (state.surveyThanks) {
      surveyBox.textContent = '';
      surveyBox.removeAttribute('data-survey');
      surveyBox.style.display = 'block';
      surveyBox.appendChild(el('div', { role: 'status', text: state.surveyThanks }));
      return;
    }
    if (!s || s.answered || new Date(s.expiresAt).getTime() <= Date.now()) {
      surveyBox.textContent = '';
      surveyBox.removeAttribute('data-survey');
      return (surveyBox.style.display = 'none');
    }
    // Asked again after a reconnect: the form being filled in stays as it is.
    if (surveyBox.getAttribute('data-survey') === s.id) return;
    surveyBox.textContent = '';
    surveyBox.setAttribute('data-survey', s.id);
    var scores = ['5', '4', '3', '2', '1'].map(function (n) { return [n, t('csat' + n)]; });
    var nps = [];
    for (var i = 10; i >= 0; i--) nps.push([String(i), String(i)]);
    var err = errorLine();
    var form = el('form', { novalidate: '' }, [
      radios('solved', t('solvedQ'), [['yes', t('solvedYes')], ['no', t('solvedNo')]]),
      radios('csat', t('csatQ'), scores),
      radios('satisfied', t('satisfiedQ'), [['yes', t('satisfiedYes')], ['no', t('satisfiedNo')]]),
    ]);
    if (s.npsEnabled) form.appendChild(radios('nps', t('npsQ'), nps));
    field(t('comment'), 'comment', 'textarea', '', { maxlength: '1000' }).forEach(function (n) { form.appendChild(n); });
    form.appendChild(err);
    form.appendChild(el('button', { type: 'submit', text: t('surveySubmit') }));
    form.appendChild(el('button', { type: 'button', class: 'kf-plain', text: t('later'), onclick: function () { surveyBox.style.display = 'none'; input.focus(); } }));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var solved = picked(form, 'solved');
      var csat = picked(form, 'csat');
      if (!solved) return invalid(form, err, 'solved', t('solvedRequired'));
      if (!csat) return invalid(form, err, 'csat', t('csatQ'));
      invalid(form, err, null, '');
      if (!state.ready) return (err.textContent = t('surveyDisconnected'));
      // Only what was chosen is sent: an unanswered question must not count as a "no".
      var f = { type: 'survey_response', surveyId: s.id, solved: solved === 'yes', csat: Number(csat) };
      var satisfied = picked(form, 'satisfied');
      if (satisfied) f.satisfied = satisfied === 'yes';
      var n = picked(form, 'nps');
      if (n !== null) f.nps = Number(n);
      var comment = valueOf(form, 'comment');
      if (comment) f.comment = comment;
      surveySending = err;
      sendFrame(f);
      err.textContent = t('submitting');
    });
    surveyBox.style.display = 'block';
    surveyBox.appendChild(el('div', { style: 'font-size:13px;color:#555;margin-bottom:4px', text: t('surveyIntro', { number: s.conversationNumber }) }));
    surveyBox.appendChild(form);
  }

  function surveyAnswered(effect) {
    surveySending = null;
    state.survey = null;
    state.surveyThanks = t(effect === 'reopened' ? 'thanksReopened' : 'thanks');
    renderSurvey();
    setTimeout(function () {
      state.surveyThanks = '';
      renderSurvey();
    }, 6000);
  }

  // ---------- connection ----------

  function offline() {
    return navigator.onLine === false;
  }

  function connect() {
    // Without a network the attempt can only fail; the 'online' event brings the next one.
    if (state.ws || !window.WebSocket || offline()) return;
    clearTimeout(state.reconnectTimer);
    var ws = new WebSocket(wsUrl);
    state.ws = ws;
    ws.onopen = function () {
      var c = state.contact || {};
      var hello = { type: 'hello' };
      if (state.token) hello.visitorToken = state.token;
      if (c.name) hello.name = c.name;
      if (c.phone) hello.phone = c.phone;
      if (c.email) hello.email = c.email;
      if (state.lastSeen) hello.lastSeenMessageId = state.lastSeen;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (ev) {
      if (state.ws !== ws) return;
      var f;
      try {
        f = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      onFrame(f);
    };
    ws.onclose = function () {
      // A socket given up on (network lost) may report its end after its successor opened.
      if (state.ws !== ws) return;
      state.ws = null;
      state.ready = false;
      renderNotice();
      renderStatus();
      if (offline()) return;
      // Backoff with jitter: 1 s, 2 s, 4 s … up to 30 s, so a restarted server is not stampeded.
      var delay = Math.min(30000, 1000 * Math.pow(2, state.attempt)) * (0.5 + Math.random() / 2);
      state.attempt += 1;
      state.reconnectTimer = setTimeout(connect, delay);
    };
  }

  // A lost network leaves a socket hanging until a heartbeat fails, with messages written meanwhile
  // vanishing into it; give it up at once so they wait visibly in the outbox, and come back at once.
  window.addEventListener('offline', function () {
    var ws = state.ws;
    if (!ws) return;
    state.ws = null;
    state.ready = false;
    ws.close();
    renderNotice();
    renderStatus();
  });
  window.addEventListener('online', function () {
    if (!state.token && !state.outbox.length && !(state.open && state.contact)) return;
    state.attempt = 0;
    clearTimeout(state.reconnectTimer);
    connect();
    renderNotice();
  });

  function sendFrame(f) {
    if (state.ws && state.ready && state.ws.readyState === 1) state.ws.send(JSON.stringify(f));
  }

  function frameOf(o) {
    var f = { type: o.type, clientId: o.clientId, body: o.body };
    if (o.attachmentIds && o.attachmentIds.length) f.attachmentIds = o.attachmentIds;
    if (o.type === 'leave_message') {
      if (o.name) f.name = o.name;
      if (o.phone) f.phone = o.phone;
      if (o.email) f.email = o.email;
    }
    return f;
  }

  /** Everything not yet acknowledged, in the order it was written; duplicates are dropped by the server. */
  function flushOutbox() {
    state.outbox.forEach(function (o) { sendFrame(frameOf(o)); });
  }

  function enqueue(o) {
    o.clientId = newClientId();
    o.at = new Date().toISOString();
    state.outbox.push(o);
    save('outbox', state.outbox);
    render();
    sendFrame(frameOf(o));
    if (!state.ws) connect();
  }

  /** Takes a frame out of the outbox: stored (ack, shown at once under its server id) or refused for good. */
  function settle(clientId, failure, ack) {
    var entry = null;
    state.outbox = state.outbox.filter(function (o) {
      if (o.clientId !== clientId) return true;
      entry = o;
      return false;
    });
    save('outbox', state.outbox);
    if (entry && failure) state.failed.push({ clientId: clientId, body: entry.body, reason: failure });
    if (entry && ack) {
      addMessages([{ id: ack.messageId, conversationId: ack.conversationId, author: 'customer', body: entry.body, clientId: clientId, attachments: entry.files || [], createdAt: new Date().toISOString() }]);
    }
    render();
  }

  function onFrame(f) {
    switch (f.type) {
      case 'welcome':
        state.ready = true;
        state.attempt = 0;
        state.token = f.visitorToken;
        save('token', f.visitorToken);
        state.conversation = f.conversation;
        if (f.conversation && f.conversation.assigned) state.queue = null;
        addMessages(f.messages || []);
        render();
        flushOutbox();
        break;
      case 'ack':
        settle(f.clientId, null, f);
        break;
      case 'message':
        addMessages([f.message]);
        break;
      case 'conversation':
        if (!state.conversation || state.conversation.id === f.conversation.id || f.conversation.id > state.conversation.id) state.conversation = f.conversation;
        // An agent has it: the server stops sending queue frames, so the last one must not linger.
        if (state.conversation.assigned) state.queue = null;
        render();
        break;
      case 'queue':
        state.queue = f;
        break;
      case 'typing':
        state.agentTypingUntil = f.on ? Date.now() + 6000 : 0;
        renderTyping();
        break;
      case 'history':
        addMessages(f.messages || []);
        break;
      case 'survey':
        if (f.survey.answered && state.survey && state.survey.id === f.survey.id) surveyAnswered('none');
        else if (!f.survey.answered) state.survey = f.survey;
        renderSurvey();
        break;
      case 'survey_ack':
        surveyAnswered(f.effect);
        break;
      case 'error':
        // A hello refused for its contact details (edited storage, stricter server): reconnect without them.
        if (!state.ready && f.code === 'chat.invalid_frame' && state.contact && Object.keys(state.contact).length) {
          state.contact = {};
          save('contact', state.contact);
          if (state.ws) state.ws.close();
        } else if (f.clientId && !f.retry) settle(f.clientId, f.message);
        else if (f.clientId) scheduleRetry();
        else if (surveySending && /^survey\./.test(f.code)) {
          surveySending.textContent = f.message;
          surveySending = null;
        } else flash(f.message);
        break;
    }
    renderNotice();
    renderStatus();
  }

  /** The server failed or was busy: the outbox is sent again a little later on the same connection. */
  function scheduleRetry() {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(flushOutbox, 3000 + Math.random() * 2000);
  }

  // ---------- composing ----------

  function send() {
    var body = input.value.trim();
    if (!body) return;
    input.value = '';
    typingOff();
    state.selfSolved = false;
    // Writing on while the articles are offered (or searched) means a person is wanted: the held message goes first.
    if (state.held) release(state.held);
    else if (searchesFirst()) return suggest(body);
    enqueue({ type: 'message', body: body });
  }

  function typingOff() {
    clearTimeout(state.typingOffTimer);
    if (state.typingSentAt) sendFrame({ type: 'typing', on: false });
    state.typingSentAt = 0;
  }

  sendBtn.addEventListener('click', function () {
    send();
    input.focus();
  });
  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      send();
    }
  });
  input.addEventListener('input', function () {
    // At most one "typing" every 3 s; "stopped" after 5 s without a keystroke.
    if (Date.now() - state.typingSentAt > 3000) {
      state.typingSentAt = Date.now();
      sendFrame({ type: 'typing', on: true });
    }
    clearTimeout(state.typingOffTimer);
    state.typingOffTimer = setTimeout(typingOff, 5000);
  });

  attachBtn.addEventListener('click', function () { fileInput.click(); });
  fileInput.addEventListener('change', function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    if (!file || !state.token) return;
    var form = new FormData();
    form.append('file', file, file.name);
    attachBtn.disabled = true;
    flash(t('uploading', { name: file.name }));
    fetch(server + '/api/chat/attachments', { method: 'POST', headers: visitorHeaders(), body: form })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error((body && body.error && body.error.message) || t('uploadFailed'));
          return body;
        });
      })
      .then(function (a) {
        renderNotice();
        enqueue({ type: 'message', body: t('attachmentBody', { name: a.fileName }), attachmentIds: [a.id], files: [a] });
      })
      .catch(function (e) { flash(t('uploadFailedWhy', { reason: e.message })); })
      .then(function () { render(); });
  });

  setInterval(renderTyping, 1000);
  render();
  renderNotice();
  renderStatus();
  // A returning visitor (token kept) or one with unsent messages reconnects at once to receive replies.
  if (state.token || state.outbox.length) connect();
})();
