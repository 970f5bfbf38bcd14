import type { MiddlewareHandler } from 'hono';

/**
 * API errors a person reads (sign-in, claims, scope, missing records, bad uploads) in the
 * caller's language. Every error answer keeps `error` as it is (stable English, what scripts and
 * logs match on) and gains `message`: the same in the language `Accept-Language` prefers among
 * English and Simplified Chinese. The console and the staff view send their chosen language and
 * show `message`. Patterns are anchored on the English text each route writes; one that matches
 * none stays English in `message` too, so nothing is lost, only untranslated.
 */
const ZH: [RegExp, string][] = [
  [/^invalid username or password$/, '用户名或密码错误'],
  [/^too many failed logins; try again later$/, '登录失败次数过多，请稍后再试'],
  [/^authentication required$/, '需要登录'],
  [/^forbidden: needs role (.+), token has (\w+)$/, '无权限：需要 $1 角色，当前为 $2'],
  [/^forbidden: outside your scope.*$/, '无权限：超出您的管辖范围'],
  [/^forbidden: (.+) needs a principal of every site; yours is scoped to (.+)$/, '无权限：$1需要全部场地的权限，您的权限仅限 $2'],
  [/^already claimed by (.+)$/, '已被 $1 认领'],
  [/^already acknowledged by (.+)$/, '已被 $1 完成'],
  [/^no such alert$/, '没有这条提醒'],
  [/^alert changed concurrently; reload$/, '提醒刚被他人修改，请刷新'],
  [/^no member (\S+)$/, '没有会员 $1'],
  [/^no rule (\S+?)(;.*)?$/, '没有规则 $1'],
  [/^rule (\S+) exists.*$/, '规则 $1 已存在'],
  [/^no offer (\S+)$/, '没有优惠 $1'],
  [/^invalid body$/, '请求内容无效'],
  [/^body must be JSON$/, '请求内容必须是 JSON'],
  [/^invalid query parameters$/, '查询参数无效'],
  [/^invalid (member|rule|offer|alert|token) id$/, '编号无效'],
  [/^expected Content-Type: text\/csv$/, '需要 CSV 文件（Content-Type: text/csv）'],
  [/^CSV larger than (\d+) bytes$/, 'CSV 文件超过 $1 字节'],
  [/^request body larger than (\d+) bytes$/, '请求内容超过 $1 字节'],
  [/^internal error$/, '内部错误'],
  [/^no route for (.+)$/, '没有这个接口：$1'],
];

export type ApiLanguage = 'en' | 'zh-CN';

/** The language an `Accept-Language` header prefers among ours (highest q first; English when neither). */
export function preferredLanguage(header: string | undefined): ApiLanguage {
  const tags = (header ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
      return { tag: tag.toLowerCase(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((x) => x.tag && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of tags) {
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en') || tag === '*') return 'en';
  }
  return 'en';
}

/** The error text for a person reading `lang`. */
export function localiseError(error: string, lang: ApiLanguage): string {
  if (lang === 'en') return error;
  for (const [pattern, zh] of ZH) if (pattern.test(error)) return error.replace(pattern, zh);
  return error;
}

/** Adds `message` (the error in the caller's language) to every JSON error answer. */
export function errorMessages(): MiddlewareHandler {
  return async function errorMessages(c, next) {
    await next();
    const res = c.res;
    if (res.status < 400 || !res.headers.get('content-type')?.includes('application/json')) return;
    const body = (await res
      .clone()
      .json()
      .catch(() => undefined)) as { error?: unknown; message?: unknown } | undefined;
    if (!body || typeof body.error !== 'string' || body.message !== undefined) return;
    const headers = new Headers(res.headers);
    headers.delete('content-length');
    c.res = new Response(JSON.stringify({ ...body, message: localiseError(body.error, preferredLanguage(c.req.header('accept-language'))) }), {
      status: res.status,
      headers,
    });
  };
}
