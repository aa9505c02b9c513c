// `gpg --locate-keys security@example.org` finds the team key in the WKD layout vmtd writes.
//
// GnuPG fetches WKD over HTTPS only (https://DOMAIN/.well-known/openpgpkey/hu/HASH?l=LOCAL, port
// 443) and trusts only the system CAs for it (dirmngr's `hkp-cacert` is not used for WKD: tried,
// "certificate issuer is unknown"). So the test runs the real gpg/dirmngr with:
//   - `http-proxy` in dirmngr.conf pointing at a loopback proxy in this process; dirmngr sends
//     `CONNECT example.org:443` there, so no DNS and no port 443 are needed;
//   - the proxy terminating TLS with a certificate for example.org from a throwaway CA and serving
//     publicDir as written by writeTeamSite;
//   - that CA added to the system bundle only inside a private mount namespace (`unshare -m`, a bind
//     mount over /etc/ssl/certs/ca-certificates.crt that no other process sees).
// It skips, saying why, where unshare (root / CAP_SYS_ADMIN), openssl or gpg is missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { TLSSocket } from 'node:tls';
import * as openpgp from 'openpgp';
import t from 'tap';
import { siteOptions, wkdHash, writeTeamSite } from '../../src/advisories/index.js';
import type { Config } from '../../src/config/types.js';
import { fingerprintOf, generateTeamKey } from '../../src/pgp/keys.js';

const SYSTEM_CAS = '/etc/ssl/certs/ca-certificates.crt';
const instance: Config['instance'] = {
  name: 'Example Security Team', domain: 'example.org', intake: 'security', separator: '+', caseIdPrefix: 'SEC', dataDir: '/nonexistent', publicDir: '/nonexistent',
};

function why(): string | null {
  if (process.platform !== 'linux') return 'not Linux (needs a private mount namespace)';
  for (const tool of ['gpg', 'gpgconf', 'openssl', 'unshare']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  if (!existsSync(SYSTEM_CAS)) return `${SYSTEM_CAS} is missing (dirmngr's system trust store on Debian)`;
  const ns = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind ${SYSTEM_CAS} ${SYSTEM_CAS}`]);
  if (ns.status !== 0) return `cannot bind-mount in a private mount namespace (needs root or CAP_SYS_ADMIN): ${ns.stderr.toString().trim()}`;
  return null;
}

const skip = why();

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

/** Reads up to the end of an HTTP header block; returns it and whatever followed. */
function readHead(s: Socket | TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        s.off('data', onData);
        resolve(buf.slice(0, end));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

t.test('gpg --locate-keys finds the team key through WKD (direct method, loopback HTTPS)', { skip: skip ?? false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vmtd-wkd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const site = join(dir, 'public');
  const home = join(dir, 'gnupg');
  spawnSync('mkdir', ['-m', '700', home]);

  const privateKey = await openpgp.readPrivateKey({ armoredKey: await generateTeamKey(instance.name, 'security@example.org', new Date()) });
  const team = { privateKey, publicKey: privateKey.toPublic(), fingerprint: fingerprintOf(privateKey) };
  await writeTeamSite(site, siteOptions(instance, team, new Date()));

  // A throwaway CA and a server certificate for example.org.
  const ssl = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
  };
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=vmtd test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=example.org']);
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:example.org\nextendedKeyUsage=serverAuth\n');
  ssl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext']);
  writeFileSync(join(dir, 'bundle.crt'), Buffer.concat([readFileSync(SYSTEM_CAS), readFileSync(join(dir, 'ca.pem'))]));

  const requests: string[] = [];
  const key = readFileSync(join(dir, 'srv.key'));
  const cert = readFileSync(join(dir, 'srv.pem'));
  const proxy = createServer((sock) => {
    sock.on('error', () => {});
    void (async () => {
      const head = await readHead(sock);
      requests.push(head.split('\r\n')[0] ?? '');
      if (!head.startsWith('CONNECT example.org:443 ')) {
        sock.end('HTTP/1.0 403 Forbidden\r\n\r\n');
        return;
      }
      sock.removeAllListeners('data');
      sock.write('HTTP/1.0 200 Connection established\r\n\r\n');
      const tls = new TLSSocket(sock, { isServer: true, key, cert });
      tls.on('error', () => {});
      const req = (await readHead(tls)).split('\r\n')[0] ?? '';
      requests.push(req);
      const path = normalize(decodeURIComponent((req.split(' ')[1] ?? '/').split('?')[0] ?? '/'));
      const file = join(site, path);
      if (file.startsWith(site) && existsSync(file) && !path.endsWith('/')) {
        const body = readFileSync(file);
        tls.end(Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
      } else tls.end('HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    })().catch(() => sock.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => proxy.close());
  const port = (proxy.address() as { port: number }).port;
  writeFileSync(join(home, 'dirmngr.conf'), `http-proxy http://127.0.0.1:${port}\n`);

  const script = `mount --bind "$1" ${SYSTEM_CAS} || exit 99
gpg --batch --no-tty --with-colons --auto-key-locate clear,nodefault,wkd --locate-keys security@example.org; rc=$?
gpgconf --kill dirmngr
exit $rc`;
  const r = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', join(dir, 'bundle.crt')], { ...process.env, GNUPGHOME: home });
  t.equal(r.code, 0, r.code === 0 ? "gpg --locate-keys exits 0" : `gpg --locate-keys failed: ${r.err}`);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(r.out)?.[1];
  t.equal(fpr, team.fingerprint.toUpperCase(), 'the key found is the team key');
  t.match(r.out, /^uid:.*security@example\.org/m);
  t.ok(requests.includes('CONNECT example.org:443 HTTP/1.0') || requests.some((q) => q.startsWith('CONNECT example.org:443')), 'dirmngr tunnelled to example.org:443');
  t.ok(requests.some((q) => q.startsWith(`GET /.well-known/openpgpkey/hu/${wkdHash('security')}?l=security `)), `gpg asked for the direct-method path: ${JSON.stringify(requests)}`);
});

if (skip) t.comment(`SKIPPED gpg --locate-keys over WKD: ${skip}`);
