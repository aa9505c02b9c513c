// Imported first by the entry points (bin/vmtd.js, the bench's scenario runner), before anything
// can start libuv's thread pool, which reads this once. Every maildir copy, spool file and blob
// ends in an fsync that holds a pool thread: with libuv's default of 4, ten copies of a 1 MB relay
// waited in line (measured here: 10 fsynced 1.9 MB files in ~47 ms with 4 threads, ~28 ms with 12;
// issue 16). An operator's own setting wins.
process.env.UV_THREADPOOL_SIZE ??= '12';
export {};
