// collectGarbageNow frees let-go buffers at once, in a process started without --expose-gc (as
// `node bin/vmtd.js` is), on the main thread and in a worker thread (which runs the compiled module).
// V8 returns a collected buffer's memory on a background thread by default, so on a loaded machine
// the count dropped only a moment after gc() returned (a CI failure: "70 → 70 MB"). These tests
// make V8 sweep during the collection itself, so that what they check right after gc() is what that
// collection freed — waiting instead would also see V8's own next collection.
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { collectGarbageNow } from '../../src/memory.js';

setFlagsFromString('--no-concurrent-array-buffer-sweeping');

t.test('a let-go 64 MB buffer is freed at once', async (t) => {
  let big: Buffer | null = Buffer.alloc(64 << 20, 1);
  const held = process.memoryUsage().arrayBuffers;
  t.ok(big.length > 0 && held >= 64 << 20, 'held');
  big = null;
  t.equal(collectGarbageNow(), true, 'collected');
  t.ok(process.memoryUsage().arrayBuffers < held - (60 << 20), `freed (${held >> 20} → ${process.memoryUsage().arrayBuffers >> 20} MB)`);
});

t.test('in a worker thread too', async (t) => {
  const source = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('../../dist/src/memory.js', import.meta.url).href)}).then(({ collectGarbageNow }) => {
      let big = Buffer.alloc(64 << 20, 1);
      const held = process.memoryUsage().arrayBuffers;
      big = null;
      const ok = collectGarbageNow();
      parentPort.postMessage({ ok, held, after: process.memoryUsage().arrayBuffers });
    });`;
  const r = await new Promise<{ ok: boolean; held: number; after: number }>((resolve, reject) => {
    const w = new Worker(source, { eval: true });
    w.once('message', (m) => void w.terminate().then(() => resolve(m)));
    w.once('error', reject);
  });
  t.equal(r.ok, true, 'collected');
  t.ok(r.after < r.held - (60 << 20), `freed (${r.held >> 20} → ${r.after >> 20} MB)`);
});
