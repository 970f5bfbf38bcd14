import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './webhook.signature.js';

const BODY = '{"v":1,"type":"offer","memberId":"M1"}';
const AT = 1_795_400_000_000;

describe('webhook signatures', () => {
  it('is HMAC-SHA256 over "<t>.<body>", as documented for push-service implementers', () => {
    const expected = createHmac('sha256', 's3cret').update(`${AT}.${BODY}`).digest('hex');
    expect(signatureHeader('s3cret', AT, BODY)).toBe(`t=${AT},v1=${expected}`);
  });

  it('verifies its own signature within the tolerance, over string or bytes', () => {
    const header = signatureHeader('s3cret', AT, Buffer.from(BODY));
    expect(verifySignature('s3cret', header, BODY, AT + 60_000)).toEqual({ ok: true });
    expect(verifySignature('s3cret', header, Buffer.from(BODY), AT - 60_000)).toEqual({ ok: true });
  });

  it.each([
    ['a changed body', 's3cret', signatureHeader('s3cret', AT, BODY), BODY.replace('M1', 'M2'), AT, 'signature does not match'],
    ['another secret', 'other', signatureHeader('s3cret', AT, BODY), BODY, AT, 'signature does not match'],
    ['a replay after the tolerance', 's3cret', signatureHeader('s3cret', AT, BODY), BODY, AT + 5 * 60_000 + 1, 'signature timestamp outside tolerance'],
    [
      'a timestamp moved inside the tolerance',
      's3cret',
      signatureHeader('s3cret', AT, BODY).replace(`t=${AT}`, `t=${AT + 1}`),
      BODY,
      AT,
      'signature does not match',
    ],
    ['no header', 's3cret', undefined, BODY, AT, 'no signature header'],
    ['garbage', 's3cret', 't=soon,v1=zz', BODY, AT, 'malformed signature header'],
    ['a short MAC', 's3cret', `t=${AT},v1=abcd`, BODY, AT, 'malformed signature header'],
  ])('refuses %s', (_what, secret, header, body, now, reason) => {
    expect(verifySignature(secret, header, body, now)).toEqual({ ok: false, reason });
  });
});
