/** Number formatting for tables and summaries. */

/** `1234567` → `1.23M`; small integers stay as they are. */
export const si = (n: number): string => {
  const a = Math.abs(n);
  if (a < 1e3) return Number.isInteger(n) ? String(n) : n.toPrecision(3);
  for (const [v, s] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const)
    if (a >= v) return `${(n / v).toPrecision(3)}${s}`;
  return String(n);
};

/** `3145728` → `3.00 MiB`. */
export const bytes = (n: number): string => {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)} ${units[i]}`;
};

/** Thousands separators: `1283` → `1,283`. */
export const grouped = (n: number): string => n.toLocaleString('en-US');

/** Render rows as an aligned plain-text table (first row is the header). */
export const table = (rows: readonly (readonly string[])[], rightAlign: readonly number[] = []): string => {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, j) => (rightAlign.includes(j) ? c.padStart(widths[j]!) : c.padEnd(widths[j]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};
