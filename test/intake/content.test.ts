// The content parse keeps the text and small attachments; an attachment over the limit is listed
// without its content (it is relayed from the original message, never from this parse).
import t from 'tap';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { ATTACHMENT_LIMIT, readContent } from '../../src/mail/content.js';
import { withAttachment } from '../helpers/mails.js';

t.test('text and a small attachment are read; a large one is listed, truncated', async (t) => {
  const small = randomBytes(1000);
  const inner = withAttachment('Project: libfoo\nthe text', 'fix.patch', 'text/x-diff', small);
  const big = randomBytes(ATTACHMENT_LIMIT + 1);
  const both = Buffer.concat([
    Buffer.from('Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n'),
    inner,
    Buffer.from('\r\n--outer\r\nContent-Type: application/octet-stream; name="poc.bin"\r\nContent-Disposition: attachment; filename="poc.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
    Buffer.from(big.toString('base64').replace(/.{76}/g, '$&\r\n')),
    Buffer.from('\r\n--outer--\r\n'),
  ]);
  const content = await readContent(Readable.from([both]));
  t.match(content.text, /Project: libfoo/);
  const patch = content.attachments.find((a) => a.filename === 'fix.patch');
  t.ok(patch && !patch.truncated && patch.content.equals(small), 'the small attachment is read whole');
  const poc = content.attachments.find((a) => a.filename === 'poc.bin');
  t.ok(poc?.truncated, 'the large one is marked truncated');
  t.equal(poc?.content.length, 0, 'and its content is not kept');
});

// Given the message as a Buffer (as the pipeline does), a part certainly over the limit is left
// out before parsing: the outcome must be the same as parsing it whole, part for part and in order.
const part = (head: string, body: Buffer | string): Buffer => Buffer.concat([Buffer.from(`${head}\r\n\r\n`), Buffer.from(body)]);
const multipart = (boundary: string, parts: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`), ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\n`), p, Buffer.from('\r\n')]), Buffer.from(`--${boundary}--\r\n`)]);
const b64 = (b: Buffer): string => b.toString('base64').replace(/.{76}/g, '$&\r\n');

t.test('from a Buffer: the same text and attachments as a whole parse, large bodies left out', async (t) => {
  const small = randomBytes(2000);
  const big = randomBytes(ATTACHMENT_LIMIT + 100);
  const edge = randomBytes(ATTACHMENT_LIMIT); // exactly at the limit: read whole
  const mid = randomBytes(200_000);
  const message = multipart('o', [
    part('Content-Type: text/plain; charset=utf-8', 'Project: libfoo\r\nthe text'),
    part('Content-Type: application/octet-stream; name="poc.bin"\r\nContent-Disposition: attachment; filename="poc.bin"\r\nContent-Transfer-Encoding: base64', b64(big)),
    multipart('i', [
      part('Content-Type: text/x-diff; name="fix.patch"\r\nContent-Disposition: attachment; filename="fix.patch"\r\nContent-Transfer-Encoding: base64', b64(small)),
      part('Content-Type: application/x-pcap; name="raw.pcap"\r\nContent-Disposition: attachment; filename="raw.pcap"\r\nContent-Transfer-Encoding: binary', big),
      part('Content-Type: application/octet-stream; name="edge.bin"\r\nContent-Disposition: attachment; filename="edge.bin"\r\nContent-Transfer-Encoding: base64', b64(edge)),
    ]),
    part('Content-Type: application/octet-stream; name="qp.bin"\r\nContent-Disposition: attachment; filename="qp.bin"\r\nContent-Transfer-Encoding: quoted-printable', 'a'.repeat(ATTACHMENT_LIMIT + 10)),
    // Mid-size ones: plain base64 in odd lines (decoded natively), with a stray character or a
    // padding inside (left to the parser), and unencoded (the parser's).
    part('Content-Type: application/pgp-keys; name="odd.bin"\r\nContent-Transfer-Encoding: base64', mid.toString('base64').replace(/.{60}/g, '$&\n')),
    part('Content-Type: application/octet-stream; name="stray.bin"\r\nContent-Transfer-Encoding: base64', `${mid.toString('base64').slice(0, 1000)}*${mid.toString('base64').slice(1000)}`),
    part('Content-Type: application/octet-stream; name="pad.bin"\r\nContent-Transfer-Encoding: base64', `QQ==${mid.toString('base64')}`),
    part('Content-Type: application/octet-stream; name="seven.bin"\r\nContent-Transfer-Encoding: 7bit', 'x'.repeat(200_000)),
  ]);
  const whole = await readContent(Readable.from([message]));
  const fast = await readContent(message);
  t.equal(fast.text, whole.text);
  t.same(
    fast.attachments.map((a) => ({ ...a, content: a.content.toString('base64') })),
    whole.attachments.map((a) => ({ ...a, content: a.content.toString('base64') })),
    'attachments alike, in order, truncated alike',
  );
  t.same(
    fast.attachments.map((a) => [a.filename, a.truncated]),
    [
      ['poc.bin', true],
      ['fix.patch', false],
      ['raw.pcap', true],
      ['edge.bin', false],
      ['qp.bin', true],
      ['odd.bin', false],
      ['stray.bin', false],
      ['pad.bin', false],
      ['seven.bin', false],
    ],
  );
  t.ok(fast.attachments.find((a) => a.filename === 'odd.bin')!.content.equals(mid), 'a mid-size base64 attachment is read whole');
  t.ok(fast.attachments.find((a) => a.filename === 'edge.bin')!.content.equals(edge), 'an attachment at the limit is read whole');
});

t.test('from a Buffer: a part claiming the marker header is not taken for one left out', async (t) => {
  const data = randomBytes(100);
  const message = multipart('o', [
    part('Content-Type: text/plain', 'text'),
    part('X-Vmtd-Not-Read: 00\r\nContent-Type: application/octet-stream; name="k.bin"\r\nContent-Disposition: attachment; filename="k.bin"\r\nContent-Transfer-Encoding: base64', b64(data)),
  ]);
  const c = await readContent(message);
  t.same(c.attachments.map((a) => [a.filename, a.truncated, a.content.equals(data)]), [['k.bin', false, true]]);
});

t.test('from a Buffer: a whole message that is one large binary part', async (t) => {
  const big = randomBytes(ATTACHMENT_LIMIT * 2);
  const message = part('Content-Type: application/octet-stream; name="core"\r\nContent-Disposition: attachment; filename="core"\r\nContent-Transfer-Encoding: base64', b64(big));
  const c = await readContent(message);
  t.same(c.attachments.map((a) => [a.filename, a.truncated, a.content.length]), [['core', true, 0]]);
});

t.test('from a Buffer: equal to the whole parse for base64 attachments of any line length, size and padding', async (t) => {
  const fc = (await import('fast-check')).default;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 60_000, max: 140_000 }),
      fc.integer({ min: 4, max: 200 }),
      fc.boolean(),
      fc.constantFrom('', '\r\n', '\n', '\r\n\r\n'),
      async (size, width, crlf, tail) => {
        const data = randomBytes(size);
        const body = data.toString('base64').replace(new RegExp(`.{${width}}`, 'g'), `$&${crlf ? '\r\n' : '\n'}`) + tail;
        const message = multipart('o', [part('Content-Type: text/plain', 'text'), part('Content-Type: application/octet-stream; name="p.bin"\r\nContent-Transfer-Encoding: base64', body)]);
        const whole = await readContent(Readable.from([message]));
        const fast = await readContent(message);
        runs++;
        return fast.attachments.length === 1 && fast.attachments[0]!.content.equals(whole.attachments[0]!.content) && fast.attachments[0]!.content.equals(data);
      },
    ),
    { numRuns: 25 },
  );
  t.equal(runs, 25);
});
