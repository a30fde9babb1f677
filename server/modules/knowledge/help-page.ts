import type { SnippetPart } from '../../platform/text/snippet.ts';

/** The public help centre's pages (issue 6 §4): plain server-rendered HTML in zh-CN, the chat widget at hand. */

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const marked = (parts: SnippetPart[]) => parts.map((p) => (p.hit ? `<mark>${escapeHtml(p.text)}</mark>` : escapeHtml(p.text))).join('');

const STYLE = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#f5f6f8;line-height:1.75}
header{background:#1f6feb;color:#fff;padding:1.5rem 1rem}header div{max-width:48rem;margin:0 auto}header a{color:#fff;text-decoration:none}
main{max-width:48rem;margin:1.5rem auto;padding:0 1rem}
form{display:flex;gap:.5rem;margin-top:1rem}input[type=search]{flex:1;font-size:1rem;padding:.6rem .8rem;border:0;border-radius:6px}
button{font-size:1rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#0b3d91;color:#fff;cursor:pointer}
.card{background:#fff;border-radius:8px;padding:1rem 1.4rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card h2{margin:.2rem 0;font-size:1.1rem}.card a{color:#0b3d91}.muted{color:#777;font-size:.9rem}
mark{background:#ffe58f;padding:0 .1rem}.body{white-space:pre-wrap}ul{padding-left:1.2rem}
.feedback{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem}.feedback[hidden]{display:none}.feedback button{padding:.3rem .9rem;background:#eef1f5;color:#333}
.feedback button[aria-pressed=true]{background:#0b3d91;color:#fff}.feedback [role=status]{color:#389e0d}`;

function layout(title: string, q: string, content: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - 帮助中心</title>
<style>${STYLE}</style>
</head>
<body>
<header><div><a href="/help"><strong style="font-size:1.3rem">帮助中心</strong></a>
<form action="/help" method="get" role="search"><label for="q" class="muted" style="position:absolute;left:-9999px">搜索问题</label>
<input id="q" type="search" name="q" value="${escapeHtml(q)}" placeholder="输入您的问题，例如：如何申请退换货" maxlength="200"><button type="submit">搜索</button></form></div></header>
<main>${content}
<p class="muted">没有找到答案？点击右下角「在线客服」联系我们。</p></main>
<script src="/widget.js" async></script>
</body>
</html>`;
}

export interface HelpHit {
  article: { id: string; number: number; title: string };
  title: SnippetPart[];
  snippet: SnippetPart[];
}

export function searchPage(q: string, hits: HelpHit[], partial: boolean): string {
  const items = hits
    .map((h) => `<div class="card"><h2><a href="/help/articles/${h.article.number}">${marked(h.title)}</a></h2><div>${marked(h.snippet)}</div></div>`)
    .join('\n');
  const note = hits.length === 0 ? '<div class="card">没有找到相关文章，换个说法试试，或联系在线客服。</div>' : partial ? '<p class="muted">没有完全匹配的文章，以下结果包含部分关键词。</p>' : '';
  return layout(`搜索：${q}`, q, `<h1 style="font-size:1.2rem">“${escapeHtml(q)}”的搜索结果</h1>${note}${items}`);
}

export function homePage(categories: Array<{ id: string | null; name: string; articles: Array<{ number: number; title: string }> }>): string {
  const sections = categories
    .filter((c) => c.articles.length > 0)
    .map((c) => `<div class="card"><h2>${escapeHtml(c.name)}</h2><ul>${c.articles.map((a) => `<li><a href="/help/articles/${a.number}">${escapeHtml(a.title)}</a></li>`).join('')}</ul></div>`)
    .join('\n');
  return layout('首页', '', sections || '<div class="card">暂时还没有公开的帮助文章。</div>');
}

export function articlePage(a: { id: string; number: number; title: string; body: string; publishedAt: string; attachments: Array<{ id: string; fileName: string }> }, timeZone: string): string {
  const date = new Intl.DateTimeFormat('zh-CN', { timeZone, dateStyle: 'long' }).format(new Date(a.publishedAt));
  return layout(
    a.title,
    '',
    `<article class="card"><h1 style="font-size:1.4rem">${escapeHtml(a.title)}</h1><p class="muted">KB-${a.number} · 更新于 ${date}</p><div class="body">${escapeHtml(a.body)}</div>${files(a.attachments)}</article>${feedback(a.id)}<p><a href="/help">← 返回帮助中心</a></p>`,
  );
}

/**
 * "这篇文章有帮助吗？": the page's script counts the reading through the public API (so crawlers that
 * run no script are not counted) and shows the question once it has the reading to answer for.
 */
function feedback(articleId: string): string {
  return `<div class="card feedback" id="feedback" role="group" aria-label="这篇文章有帮助吗？" hidden><span>这篇文章有帮助吗？</span>
<button type="button" data-helpful="true" aria-pressed="false">有帮助</button><button type="button" data-helpful="false" aria-pressed="false">没帮助</button><span role="status"></span></div>
<script>(function () {
  var base = '/api/help-articles/' + ${JSON.stringify(articleId)};
  var box = document.getElementById('feedback'), status = box.querySelector('[role=status]'), buttons = box.querySelectorAll('button');
  function post(path, body) {
    return fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(function (r) { if (!r.ok) throw r.status; return r.json(); });
  }
  post('/views', {}).then(function (view) {
    box.hidden = false;
    buttons.forEach(function (b) {
      b.onclick = function () {
        var helpful = b.getAttribute('data-helpful') === 'true';
        post('/views/' + view.id + '/votes', { helpful: helpful }).then(function () {
          buttons.forEach(function (o) { o.setAttribute('aria-pressed', String(o === b)); });
          status.textContent = '感谢您的反馈！';
        }, function () { status.textContent = '提交失败，请稍后再试。'; });
      };
    });
  }, function () {});
})();</script>`;
}

function files(list: Array<{ id: string; fileName: string }>): string {
  if (list.length === 0) return '';
  return `<h2 style="font-size:1rem">附件</h2><ul>${list.map((f) => `<li><a href="/api/help-attachments/${f.id}">${escapeHtml(f.fileName)}</a></li>`).join('')}</ul>`;
}

export function notFoundPage(): string {
  return layout('文章不存在', '', '<div class="card">文章不存在或已下线。<a href="/help">返回帮助中心</a></div>');
}
