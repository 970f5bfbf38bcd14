import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { errorMessages, localiseError, preferredLanguage } from './error-messages.js';
import { HttpError } from './http-error.js';

describe('API error messages for people', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['en;q=0.5, zh-TW;q=0.9', 'zh-CN'],
    ['fr-FR, zh;q=0.2', 'zh-CN'],
    ['fr-FR', 'en'],
    ['zh;q=0, en', 'en'],
  ])('Accept-Language %j prefers %s', (header, lang) => expect(preferredLanguage(header)).toBe(lang));

  it.each([
    ['invalid username or password', '用户名或密码错误'],
    ['already claimed by Alice Wu', '已被 Alice Wu 认领'],
    ['already acknowledged by 王芳', '已被 王芳 完成'],
    ['forbidden: needs role operator, token has analyst', '无权限：需要 operator 角色，当前为 analyst'],
    ['no member M9', '没有会员 M9'],
    ['no rule r1; POST /api/v1/rules creates one', '没有规则 r1'],
    ['CSV larger than 5000000 bytes', 'CSV 文件超过 5000000 字节'],
    ['something new the table does not know', 'something new the table does not know'],
  ])('%s -> %s', (en, zh) => {
    expect(localiseError(en, 'zh-CN')).toBe(zh);
    expect(localiseError(en, 'en')).toBe(en);
  });

  it('adds `message` to JSON error answers, thrown or returned, and leaves `error` and other answers alone', async () => {
    const app = new Hono();
    app.onError((err, c) => (err instanceof HttpError ? c.json(err.body, err.status) : c.json({ error: 'internal error' }, 500)));
    app.use('*', errorMessages());
    app.get('/thrown', () => {
      throw new HttpError(401, { error: 'authentication required' });
    });
    app.get('/returned', (c) => c.json({ error: 'already claimed by Alice Wu', alert: { id: 'a1' } }, 409));
    app.get('/ok', (c) => c.json({ error: 'not an error answer' }));
    const zh = { headers: { 'accept-language': 'zh-CN' } };
    const thrown = await app.request('/thrown', zh);
    expect(thrown.status).toBe(401);
    expect(await thrown.json()).toEqual({ error: 'authentication required', message: '需要登录' });
    expect(await (await app.request('/returned', zh)).json()).toEqual({
      error: 'already claimed by Alice Wu',
      alert: { id: 'a1' },
      message: '已被 Alice Wu 认领',
    });
    expect(await (await app.request('/returned')).json()).toMatchObject({ message: 'already claimed by Alice Wu' });
    expect(await (await app.request('/ok', zh)).json()).toEqual({ error: 'not an error answer' });
  });
});
