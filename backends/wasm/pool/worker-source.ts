// The code a pool worker runs, as source text: a worker is started from this string (Node's `eval`
// worker, or a Blob URL in browsers), so no file has to be found beside the bundle, whether the
// library runs from its sources, from dist/ or from a user's bundle. It needs nothing but the
// compiled module, which the pool sends it. Kept in plain JavaScript on purpose (no imports, no
// helpers a bundler could inject).

/**
 * Defines `handle(message, post)`: `init` instantiates the module sent; `run` copies the blocks of
 * main-thread memory into this instance (from the message's buffers, or from its shared `stage`;
 * blocks with neither are only written: space for them), moves every pointer argument onto its
 * copy, makes the calls in order, and returns the regions they write (rows packed: in buffers
 * posted back, or left in the stage) with the calls' return values.
 */
export const workerCore = String.raw`
let ex;
// the pool's copyRows: short rows by a plain loop, since a view per row costs more than the copy
const copyRows = (src, s0, ss, dst, d0, ds, rows, cols) => {
  if (rows === 1 || (ss === cols && ds === cols)) dst.set(src.subarray(s0, s0 + rows * cols), d0);
  else if (cols >= 32) for (let r = 0; r < rows; r++) dst.set(src.subarray(s0 + r * ss, s0 + r * ss + cols), d0 + r * ds);
  else
    for (let r = 0; r < rows; r++) {
      const a = s0 + r * ss;
      const b = d0 + r * ds;
      for (let c = 0; c < cols; c++) dst[b + c] = src[a + c];
    }
};
const run = (m) => {
  const allocs = [];
  const bases = [];
  try {
    for (const b of m.blocks) {
      const n = b.length;
      const p = ex.cat_alloc(n + 16);
      if (p === 0) throw new RangeError('pool worker: out of memory for ' + n + ' bytes');
      allocs.push([p, n + 16]);
      // same address modulo 16 as on the main thread, so aligned loads stay aligned
      const w = p + ((((b.start - p) % 16) + 16) % 16);
      if (b.bytes) new Uint8Array(ex.memory.buffer, w, n).set(new Uint8Array(b.bytes));
      else if (b.at >= 0) new Uint8Array(ex.memory.buffer, w, n).set(new Uint8Array(m.stage, b.at, n));
      bases.push(w);
    }
    const moved = (ptr) => {
      if (ptr === 0) return 0;
      for (let i = 0; i < m.blocks.length; i++) {
        const b = m.blocks[i];
        if (ptr >= b.start && ptr <= b.start + b.length) return bases[i] + (ptr - b.start);
      }
      throw new RangeError('pool worker: pointer ' + ptr + ' of ' + m.name + ' lies in no block sent');
    };
    const f = ex[m.name];
    if (typeof f !== 'function') throw new TypeError('pool worker: the module has no export ' + m.name);
    const rcs = [];
    for (const args of m.calls) {
      const a = args.slice();
      for (const i of m.ptrArgs) a[i] = moved(a[i]);
      rcs.push(f(...a));
    }
    const mem = new Float32Array(ex.memory.buffer);
    if (m.stage) {
      const st = new Float32Array(m.stage);
      for (const o of m.outs) copyRows(mem, moved(o.ptr) / 4, o.stride, st, o.at / 4, o.cols, o.rows, o.cols);
      return { msg: { id: m.id, rcs }, transfer: [] };
    }
    const outs = m.outs.map((o) => {
      const buf = new Float32Array(o.rows * o.cols);
      copyRows(mem, moved(o.ptr) / 4, o.stride, buf, 0, o.cols, o.rows, o.cols);
      return buf.buffer;
    });
    return { msg: { id: m.id, rcs, outs }, transfer: outs };
  } finally {
    for (const [p, n] of allocs) ex.cat_free(p, n);
  }
};
const handle = (m, post) => {
  if (m.kind === 'init') {
    ex = new WebAssembly.Instance(m.module, {}).exports;
    return;
  }
  let r;
  try {
    r = run(m);
  } catch (e) {
    r = { msg: { id: m.id, error: String((e && e.stack) || e) }, transfer: [] };
  }
  post(r.msg, r.transfer);
};
`;
