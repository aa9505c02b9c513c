// The pure rules behind test/intake/clients.test.ts: command detection, case subjects, decoded
// header text, project names, the team's own addresses, the shape of a decrypted part.
import t from 'tap';
import fc from 'fast-check';
import { caseKeywords, isCommandMessage, teamKeywords } from '../../src/commands/grammar.js';
import { handlers } from '../../src/commands/keywords.js';
import { caseSubject, decodeHeaderText } from '../../src/mail/subject.js';
import { isTeamAddress } from '../../src/mail/own-address.js';
import { projectNames, unknownProjectsNote } from '../../src/intake/route.js';
import { encryptedPartShape, looksLikeMimeEntity } from '../../src/pgp/payload-shape.js';

const vmtdKeywords = new Set([...caseKeywords, ...teamKeywords, 'STOP']);
/** A header name as an HTTP response or a mail header has it: X-Something-Else. */
const headerName = fc.stringMatching(/^X-[A-Za-z][A-Za-z0-9-]{0,24}$/).filter((n) => !vmtdKeywords.has(n.slice(2).toUpperCase()));
const anyText = fc.string({ maxLength: 200 });
const blanks = fc.array(fc.constantFrom('', ' ', '\t', '\r'), { maxLength: 3 }).map((b) => b.map((l) => `${l}\n`).join(''));

t.test('isCommandMessage: table', async (t) => {
  const rows: Array<[string, boolean, boolean, boolean]> = [
    // text, signed, toIntake, is a command
    ['X-Forwarded-For: 1.2.3.4\nGET / HTTP/1.1', false, true, false],
    ['X-Forwarded-For: 1.2.3.4', true, true, false],
    ['X-Frame-Options: DENY', true, false, false],
    ['X-Case-Study: parser overflow', true, false, false],
    ['X-Case-Study: parser overflow', false, true, false],
    ['X-CASE: SEC-2026-0001\nX-STATE: triaged', true, false, true],
    ['X-case: SEC-2026-0001', true, false, true], // keywords are case-insensitive (the X- prefix as parseCommands reads it)
    ['\n\n  X-CASE: SEC-2026-0001\nX-STATE: triaged', true, false, true],
    ['X-CASE: SEC-2026-0001\nX-STATE: rejected', false, false, true], // answered "must be signed", never applied
    ['X-HELP', true, true, true],
    ['X-LIST-CASES', true, true, true],
    ['X-OPEN: found in audit\n\ndetails', true, true, true],
    ['X-HELP', false, true, false],
    ['X-Help: nothing works', false, true, false],
    ['X-HELP', true, false, false],
    ['X-STATE: rejected', true, false, true], // a member who forgot X-CASE is told so
    ['X-STATE: rejected', false, false, false],
    ['X-STATE: rejected', true, true, false],
    ['X-STOP', true, true, false],
    ['Hello,\nX-CASE: SEC-2026-0001', true, false, false],
    ['', true, true, false],
  ];
  for (const [text, signed, toIntake, want] of rows) t.equal(isCommandMessage({ text, signed, toIntake }), want, `${JSON.stringify(text.slice(0, 30))} signed=${signed} toIntake=${toIntake}`);
});

t.test('isCommandMessage: properties', async (t) => {
  t.same([...caseKeywords].sort(), Object.keys(handlers).sort(), 'the case keywords are the keyword handlers');
  fc.assert(
    fc.property(headerName, anyText, fc.boolean(), fc.boolean(), blanks, (name, rest, signed, toIntake, lead) => !isCommandMessage({ text: `${lead}${name}: ${rest}`, signed, toIntake })),
    { numRuns: 500 },
  );
  t.pass('a text that starts with a header line other than a vmtd keyword is never a command');
  fc.assert(
    fc.property(anyText, fc.boolean(), (text, toIntake) => !isCommandMessage({ text, signed: false, toIntake }) || /^\s*x-case\s*(:|$)/im.test(text.trimStart().split('\n')[0]!)),
    { numRuns: 500 },
  );
  t.pass('an unsigned message is a command only when it starts with X-CASE');
  fc.assert(
    fc.property(anyText, fc.boolean(), fc.boolean(), blanks, (text, signed, toIntake, lead) => isCommandMessage({ text, signed, toIntake }) === isCommandMessage({ text: lead + text, signed, toIntake })),
    { numRuns: 500 },
  );
  t.pass('blank lines before the first line change nothing');
  fc.assert(
    fc.property(fc.constantFrom(...caseKeywords), anyText, (k, rest) => isCommandMessage({ text: `X-${k}: x\n${rest}`, signed: true, toIntake: false })),
    { numRuns: 200 },
  );
  t.pass('a signed message to a case address starting with a case keyword is a command');
});

t.test('caseSubject: table', async (t) => {
  const id = 'SEC-2026-0001';
  const rows: Array<[string, string]> = [
    ['Re: [SEC-2026-0001] x', 'Re: [SEC-2026-0001] x'],
    ['x', '[SEC-2026-0001] x'],
    ['[SEC-2026-0001] x', '[SEC-2026-0001] x'],
    ['Re:  x', 'Re: [SEC-2026-0001] x'],
    ['RE: [sec-2026-0001]   x  ', 'RE: [SEC-2026-0001] x'],
    ['Re: Re: [SEC-2026-0001] x', 'Re: Re: [SEC-2026-0001] x'],
    ['AW: [SEC-2026-0001] Überlauf', 'AW: [SEC-2026-0001] Überlauf'],
    ['Fwd: x [SEC-2026-0001]', 'Fwd: [SEC-2026-0001] x'],
    ['x [SEC-2026-0001] y [SEC-2026-0001]', '[SEC-2026-0001] x y'],
    ['Regression in re: parsing', '[SEC-2026-0001] Regression in re: parsing'],
    ['[SEC-2026-0002] other case', '[SEC-2026-0001] [SEC-2026-0002] other case'],
    ['', '[SEC-2026-0001]'],
  ];
  for (const [subject, want] of rows) t.equal(caseSubject(id, subject), want, JSON.stringify(subject));
});

t.test('caseSubject: properties', async (t) => {
  const id = 'SEC-2026-0042';
  const subject = fc.array(fc.oneof(fc.constantFrom('Re:', 'RE: ', 'Aw:', 'Fwd: ', `[${id}]`, `[${id.toLowerCase()}]`, ' ', '  ', '\t'), fc.string({ maxLength: 12 })), { maxLength: 8 }).map((a) => a.join(''));
  fc.assert(
    fc.property(subject, (s) => {
      const once = caseSubject(id, s);
      return caseSubject(id, once) === once && once.split(`[${id}]`).length === 2 && !/\s{2}/.test(once) && once === once.trim();
    }),
    { numRuns: 1000 },
  );
  t.pass('idempotent; the tag exactly once; no runs of whitespace');
});

t.test('decodeHeaderText', async (t) => {
  t.equal(decodeHeaderText('=?UTF-8?Q?=C3=9Cberlauf_in_libfoo?='), 'Überlauf in libfoo');
  t.equal(decodeHeaderText('=?utf-8?q?=c3=9cberlauf?= in =?UTF-8?B?bGliZm9v?='), 'Überlauf in libfoo');
  t.equal(decodeHeaderText(Buffer.from('Überlauf in libfoo').toString('latin1')), 'Überlauf in libfoo', 'raw UTF-8 read as latin1');
  t.equal(decodeHeaderText('Caf\xe9'), 'Café', 'latin1 that is not UTF-8 stays');
  t.equal(decodeHeaderText('plain  subject\r\n\tfolded'), 'plain subject folded');
  t.equal(decodeHeaderText('=?x-unknown?Q?abc?= =?broken'), decodeHeaderText('=?x-unknown?Q?abc?= =?broken'), 'total on odd input');
  fc.assert(fc.property(fc.string({ maxLength: 100 }), (s) => typeof decodeHeaderText(s) === 'string' && !/[\r\n]/.test(decodeHeaderText(s))));
  t.pass('total, and never a line break');
});

t.test('projectNames and the note for unknown names', async (t) => {
  t.same(projectNames('Project: libfoo, xyz\n\ntext', ['libfoo']), { known: ['libfoo'], unknown: ['xyz'] });
  t.same(projectNames('project: LibFoo\nProject: libfoo xyz XYZ', ['libfoo']), { known: ['libfoo'], unknown: ['xyz'] });
  t.same(projectNames('no pseudo-header\nProject is libfoo', ['libfoo']), { known: [], unknown: [] });
  t.same(projectNames(`${'\n'.repeat(10)}Project: libfoo`, ['libfoo']), { known: [], unknown: [] }, 'only the first ten lines');
  t.equal(unknownProjectsNote([]), null);
  t.match(unknownProjectsNote(['xyz']), /^the report names project "xyz", which is not registered/);
  t.match(unknownProjectsNote(['a', 'b']), /^the report names projects "a", "b", which are not registered/);
  const many = unknownProjectsNote(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'x'.repeat(100)])!;
  t.match(many, /"e" and 3 more/);
  t.ok(many.length < 300, 'bounded');
});

t.test('isTeamAddress: only the intake, its sub-addresses and bounce addresses', async (t) => {
  const i = { domain: 'example.org', intake: 'security', separator: '+' } as Parameters<typeof isTeamAddress>[0];
  for (const a of ['security@example.org', 'SECURITY@Example.ORG', 'security+sec-2026-0001@example.org', 'security+anything@example.org', 'security-bounces+17-abc@example.org', 'security-bounces+x@example.org']) t.ok(isTeamAddress(i, a), a);
  for (const a of ['securitybob@example.org', 'security-team@example.org', 'security-bounces@example.org', 'security@example.org.evil.example', 'security@other.example', 'bob@example.org', 'security', '']) t.notOk(isTeamAddress(i, a), a);
});

t.test('the shape of a decrypted application/pgp-encrypted part', async (t) => {
  const b = (s: string) => new Uint8Array(Buffer.from(s));
  t.ok(looksLikeMimeEntity(b('Content-Type: text/plain; charset=utf-8\r\n\r\nhi')));
  t.ok(looksLikeMimeEntity(b('Content-Type: multipart/mixed;\r\n boundary="b"; protected-headers="v1"\r\nSubject: x\r\n\r\n--b')));
  t.notOk(looksLikeMimeEntity(b('Project: libfoo\n\nThe parser overflows.')), 'a pseudo-header is no MIME entity');
  t.notOk(looksLikeMimeEntity(b('Hello team,\n\nContent-Type: text/plain')), 'Content-Type after the first blank line');
  t.notOk(looksLikeMimeEntity(b('Content-Type: text/plain')), 'no end of header');
  t.equal(encryptedPartShape('PGPMessage.asc', b('Content-Type: text/plain\n\nhi')), 'mime');
  t.equal(encryptedPartShape('PGPMessage.asc', b('Hi, the parser overflows.')), 'text');
  t.equal(encryptedPartShape('', b('Überlauf')), 'text');
  t.equal(encryptedPartShape('notes.txt.asc', b('text')), 'text');
  t.equal(encryptedPartShape('poc.pdf.pgp', b('%PDF-1.7 looks like text')), 'file');
  t.equal(encryptedPartShape('PGPMessage.asc', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2])), 'file', 'binary');
  t.equal(encryptedPartShape('PGPMessage.asc', new Uint8Array([0xc3, 0x28])), 'file', 'invalid UTF-8');
});
