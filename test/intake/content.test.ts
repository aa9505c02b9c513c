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
