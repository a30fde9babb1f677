import { DateTime } from 'luxon';
import type { FeedbackView } from './views.ts';

/**
 * The customer's feedback page behind an emailed link (S3/S4): plain HTML that works without
 * JavaScript, every control labelled, Simplified Chinese.
 */

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f6f8;color:#222;line-height:1.7}
main{max-width:36rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 .5rem}fieldset{border:1px solid #e1e4e8;border-radius:8px;margin:1rem 0;padding:.6rem 1rem}
legend{font-weight:600;padding:0 .3rem}label.opt{display:inline-block;margin:.3rem 1rem .3rem 0;cursor:pointer}
input[type=radio]{width:1.1rem;height:1.1rem;vertical-align:-.15rem;margin-right:.3rem}
textarea{width:100%;box-sizing:border-box;min-height:6rem;border:1px solid #c9ced4;border-radius:6px;padding:.5rem;font:inherit}
button{background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:.6rem 1.6rem;font-size:1rem;cursor:pointer;margin-top:1rem}
.note{color:#555}.error{background:#fdecea;color:#a4262c;padding:.6rem .8rem;border-radius:6px}.ok{background:#e8f5e9;color:#1b5e20;padding:.6rem .8rem;border-radius:6px}
:focus-visible{outline:3px solid #1f6feb;outline-offset:2px}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escape(title)} - Kefu 客服</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

/** A token in a page address must not leak to other sites, be framed, or be kept by a shared cache. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
} as const;

function choice(name: string, legend: string, options: Array<[string, string]>, current: string | null): string {
  const radios = options
    .map(([value, label], i) => {
      const id = `${name}-${value}`;
      const checked = current === value ? ' checked' : '';
      const required = i === 0 ? ' required' : '';
      return `<label class="opt" for="${id}"><input type="radio" id="${id}" name="${name}" value="${value}"${checked}${required}>${escape(label)}</label>`;
    })
    .join('');
  return `<fieldset><legend>${escape(legend)}</legend>${radios}</fieldset>`;
}

const yesNo = (v: boolean | null) => (v === null ? null : v ? 'yes' : 'no');
const CSAT_LABELS = ['非常不满意', '不满意', '一般', '满意', '非常满意'];

export interface FormValues {
  solved: string | null;
  satisfied: string | null;
  csat: string | null;
  nps: string | null;
  comment: string;
}

export function valuesOf(f: FeedbackView): FormValues {
  return { solved: yesNo(f.solved), satisfied: yesNo(f.satisfied), csat: f.csat === null ? null : String(f.csat), nps: f.nps === null ? null : String(f.nps), comment: f.comment ?? '' };
}

const localTime = (isoTime: string, zone: string) => DateTime.fromISO(isoTime, { zone }).toFormat('yyyy年M月d日 HH:mm');

export function feedbackForm(token: string, f: FeedbackView, opts: { zone: string; values?: FormValues; error?: string }): string {
  const v = opts.values ?? valuesOf(f);
  const csat = CSAT_LABELS.map((label, i): [string, string] => [String(i + 1), `${i + 1} 分 ${label}`]);
  const nps = Array.from({ length: 11 }, (_, i): [string, string] => [String(i), String(i)]);
  const npsField = f.npsEnabled
    ? `<fieldset><legend>您有多大可能向亲友推荐我们？（0 分完全不可能，10 分非常可能；选填）</legend>${nps
        .map(([value, label]) => `<label class="opt" for="nps-${value}"><input type="radio" id="nps-${value}" name="nps" value="${value}"${v.nps === value ? ' checked' : ''}>${label}</label>`)
        .join('')}</fieldset>`
    : '';
  return page(
    '服务评价',
    `<h1>服务评价</h1>
<p class="note">会话编号 #${f.conversationNumber}。无需登录，${escape(localTime(f.expiresAt, opts.zone))} 前有效。</p>
${f.respondedAt ? `<p class="ok">您已于 ${escape(localTime(f.respondedAt, opts.zone))} 提交评价；可修改后重新提交，以最后一次为准。</p>` : ''}
${opts.error ? `<p class="error" role="alert">${escape(opts.error)}</p>` : ''}
<form method="post" action="/feedback/${escape(token)}">
${choice('solved', '您的问题是否已解决？', [['yes', '已解决'], ['no', '未解决']], v.solved)}
${choice('satisfied', '您对本次服务是否满意？', [['yes', '满意'], ['no', '不满意']], v.satisfied)}
${choice('csat', '请为本次服务打分（1–5 分，5 分最满意）', csat, v.csat)}
${npsField}
<label for="comment"><strong>意见或建议（选填）</strong></label>
<textarea id="comment" name="comment" maxlength="1000" placeholder="如问题未解决，请告诉我们原因，我们会继续为您处理">${escape(v.comment)}</textarea>
<button type="submit">提交评价</button>
</form>`,
  );
}

export function thanksPage(f: FeedbackView): string {
  const next =
    f.effect === 'reopened'
      ? '很抱歉问题还没有让您满意。我们已重新处理您的问题，客服会尽快与您联系。'
      : f.effect === 'closed'
        ? '很高兴问题已经解决，本次服务已结案。祝您生活愉快！'
        : '我们已记录您的评价。';
  return page('感谢您的评价', `<h1>感谢您的评价！</h1>\n<p class="ok" role="status">${escape(next)}</p>\n<p class="note">如需修改评价，返回上一页重新提交即可（以最后一次为准）。</p>`);
}

/** A link that cannot be used: what happened, and the stable code to quote to the service desk. */
export function problemPage(message: string, code: string): string {
  return page('评价链接不可用', `<h1>评价链接不可用</h1>\n<p class="error" role="alert">${escape(message)}</p>\n<p class="note">错误代码：<code>${escape(code)}</code>。如仍需帮助，请直接回复邮件或联系客服。</p>`);
}
