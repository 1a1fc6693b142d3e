/**
 * An independent check that an SVG's text fits its view box: every `<text>` element's extent is
 * estimated from its font size (each character 0.6 em wide, 0.65 em when bold; 0.8 em above the
 * baseline, 0.25 em below), its anchor and a `translate(...) rotate(-90)` transform, and compared with
 * the view box. Font sizes come from the element, its classes in the document's `<style>`, or the
 * root `<svg>`. Deliberately not the renderers' own measuring code, so a wrong estimate there shows.
 */

export interface TextBox {
  readonly text: string;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

const unescape = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

interface Font {
  size?: number;
  bold?: boolean;
}

/** Font size and weight per class, from `font:` and `font-size` declarations of a `<style>` block. */
const classFonts = (svg: string): Map<string, Font> => {
  const out = new Map<string, Font>();
  const style = /<style>([\s\S]*?)<\/style>/.exec(svg)?.[1] ?? '';
  for (const m of style.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    const decl = m[2]!;
    const size = /font(?:-size)?:[^;]*?(\d+(?:\.\d+)?)px/.exec(decl)?.[1];
    const bold = /font:\s*(?:italic\s+)?(bold|[6-9]00)\b|font-weight:\s*(bold|[6-9]00)/.test(decl);
    for (const sel of m[1]!.split(',')) {
      // `.a.b` selectors: take the last class (the more specific one in these stylesheets).
      const cls = sel.trim().split('.').filter(Boolean).pop();
      if (cls) out.set(cls, { ...(size ? { size: Number(size) } : {}), bold });
    }
  }
  return out;
};

/** The extent of every text element, and the view box. */
export const textBoxes = (svg: string): { width: number; height: number; boxes: TextBox[] } => {
  const root = /<svg\b[^>]*>/.exec(svg)![0];
  const vb = attr(root, 'viewBox')!.split(/\s+/).map(Number);
  const rootSize = Number(attr(root, 'font-size') ?? 16);
  if (/<g\b[^>]*\btransform=/.test(svg)) throw new Error('group transforms are not supported by this check');
  const fonts = classFonts(svg);
  const boxes: TextBox[] = [];
  for (const m of svg.matchAll(/<text\b([^>]*)>([\s\S]*?)<\/text>/g)) {
    const tag = ` ${m[1]!}`;
    const text = unescape(m[2]!.replace(/<title>[\s\S]*?<\/title>/g, '').replace(/<[^>]+>/g, ''));
    const classes = (attr(tag, 'class') ?? '').split(/\s+/).filter(Boolean);
    const f: Font = {};
    for (const c of classes) Object.assign(f, fonts.get(c) ?? {});
    const size = Number(attr(tag, 'font-size') ?? f.size ?? rootSize);
    const bold = f.bold || /^(bold|[6-9]00)$/.test(attr(tag, 'font-weight') ?? '');
    const w = [...text].length * size * (bold ? 0.65 : 0.6);
    const anchor = attr(tag, 'text-anchor') ?? 'start';
    const along = (p: number): [number, number] => (anchor === 'middle' ? [p - w / 2, p + w / 2] : anchor === 'end' ? [p - w, p] : [p, p + w]);
    const transform = attr(tag, 'transform');
    if (transform) {
      const t = /^translate\(([-\d.]+)[ ,]+([-\d.]+)\)\s*rotate\(-90\)$/.exec(transform.trim());
      if (!t) throw new Error(`unsupported transform ${transform}`);
      const [tx, ty] = [Number(t[1]), Number(t[2])];
      // After rotate(-90) the text runs upwards from (tx, ty): its x offset becomes -y.
      const [a, b] = along(Number(attr(tag, 'x') ?? 0));
      boxes.push({ text, x0: tx - 0.8 * size, x1: tx + 0.25 * size, y0: ty - b, y1: ty - a });
      continue;
    }
    const [x0, x1] = along(Number(attr(tag, 'x') ?? 0));
    const y = Number(attr(tag, 'y') ?? 0);
    boxes.push({ text, x0, x1, y0: y - 0.8 * size, y1: y + 0.25 * size });
  }
  return { width: vb[2]!, height: vb[3]!, boxes };
};

/** Texts that stick out of the view box (empty when everything fits). */
export const outOfBounds = (svg: string): string[] => {
  const { width, height, boxes } = textBoxes(svg);
  return boxes
    .filter((b) => b.x0 < 0 || b.y0 < 0 || b.x1 > width || b.y1 > height)
    .map((b) => `"${b.text}" spans x ${b.x0.toFixed(1)}–${b.x1.toFixed(1)}, y ${b.y0.toFixed(1)}–${b.y1.toFixed(1)} in ${width}×${height}`);
};
