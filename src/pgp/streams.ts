import { setImmediate } from 'node:timers/promises';
import { ReadableStream } from 'node:stream/web';
import { Readable } from 'node:stream';

const SLICE = 1 << 20;

/**
 * `bytes` as a stream of 1 MiB slices (views, no copies). With `yielding`, each slice is handed out
 * in a new event-loop turn, so OpenPGP.js working through a large message lets other connections
 * be served in between.
 */
export function sliceStream(bytes: Uint8Array, yielding: boolean): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (yielding && at > 0) await setImmediate();
      controller.enqueue(bytes.subarray(at, at + SLICE));
      at += SLICE;
      if (at >= bytes.length) controller.close();
    },
  });
}

/** `bytes` as a Node stream of 1 MiB slices, one per event-loop turn (for parsers such as mailparser). */
export function sliceReadable(bytes: Buffer): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += SLICE) {
        if (at > 0) await setImmediate();
        yield bytes.subarray(at, at + SLICE);
      }
    })(),
    { objectMode: false },
  );
}

/** Reads a stream into one buffer allocated for `expected` bytes (grown if the stream is longer). */
export async function collect(stream: ReadableStream<Uint8Array>, expected: number): Promise<Buffer> {
  let out = Buffer.allocUnsafe(Math.max(expected, 1024));
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.length > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, length + value.length));
      out.copy(bigger, 0, 0, length);
      out = bigger;
    }
    out.set(value, length);
    length += value.length;
  }
  return out.subarray(0, length);
}
