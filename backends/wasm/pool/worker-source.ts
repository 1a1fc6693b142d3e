// The code a pool worker runs, as source text: a worker is started from this string (Node's `eval`
// worker, or a Blob URL in browsers), so no file has to be found beside the bundle, whether the
// library runs from its sources, from dist/ or from a user's bundle. It needs nothing but the
// compiled module, which the pool sends it. Kept in plain JavaScript on purpose (no imports, no
// helpers a bundler could inject).

/**
 * Defines `handle(message, post)`: `init` instantiates the module sent; `run` copies the blocks of
 * main-thread memory into this instance (blocks sent without bytes are only written: space for them), moves every pointer argument onto its copy, makes the calls
 * in order, and posts back the regions they write (rows packed) with the calls' return values.
 */
export const workerCore = String.raw`
let ex;
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
    const outs = m.outs.map((o) => {
      const w = moved(o.ptr) / 4;
      const buf = new Float32Array(o.rows * o.cols);
      for (let r = 0; r < o.rows; r++) buf.set(mem.subarray(w + r * o.stride, w + r * o.stride + o.cols), r * o.cols);
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
