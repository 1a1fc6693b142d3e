/**
 * How deeply a (JSON-like) value nests, found without recursion, so that decoders can refuse a
 * too-deep document before any recursive code sees it. Cycles count as too deep.
 */

/** Default limit on nesting of arrays and objects in any document catoptric reads. */
export const MAX_JSON_DEPTH = 1000;

/** Where a value first nests deeper than the limit: the keys down to that point. */
export interface TooDeep {
  readonly path: readonly (string | number)[];
  readonly limit: number;
}

interface Frame {
  readonly v: unknown;
  readonly depth: number;
  readonly key: string | number | undefined;
  readonly parent: Frame | undefined;
}

const pathOf = (f: Frame): (string | number)[] => {
  const out: (string | number)[] = [];
  for (let x: Frame | undefined = f; x && x.key !== undefined; x = x.parent) out.push(x.key);
  return out.reverse();
};

/**
 * The first place (depth-first) where `u` has more than `limit` arrays/objects inside one another,
 * or `null`. Iterative; shared sub-objects are walked again only when reached at a greater depth.
 */
export const findTooDeep = (u: unknown, limit = MAX_JSON_DEPTH): TooDeep | null => {
  const deepestSeen = new Map<object, number>();
  const stack: Frame[] = [{ v: u, depth: 0, key: undefined, parent: undefined }];
  while (stack.length) {
    const f = stack.pop()!;
    const v = f.v;
    if (typeof v !== 'object' || v === null) continue;
    const depth = f.depth + 1;
    if (depth > limit) return { path: pathOf(f), limit };
    const seen = deepestSeen.get(v);
    if (seen !== undefined && seen >= depth) continue;
    deepestSeen.set(v, depth);
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth, key: i, parent: f });
    else {
      let keys: string[];
      try {
        keys = Object.keys(v);
      } catch {
        continue; // a proxy that refuses: the decoder reports it as a bad value
      }
      for (let i = keys.length - 1; i >= 0; i--) {
        let child: unknown;
        try {
          child = (v as Record<string, unknown>)[keys[i]!];
        } catch {
          continue;
        }
        stack.push({ v: child, depth, key: keys[i], parent: f });
      }
    }
  }
  return null;
};

/** How much of the path a message shows: enough to find the place, short enough for one line. */
export const SHOWN_PATH = 6;

/** A too-deep place as an issue: the first keys of its path, and the limit. */
export const tooDeepIssue = (d: TooDeep): { path: (string | number)[]; message: string } => ({
  path: d.path.slice(0, SHOWN_PATH),
  message: `arrays and objects nest more than ${d.limit} levels deep ${d.path.length > SHOWN_PATH ? 'below' : 'at'} this point; a document may nest at most ${d.limit} levels`,
});
