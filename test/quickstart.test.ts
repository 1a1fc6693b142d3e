import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';

describe('README quickstart', () => {
  it('is the file examples/quickstart/main.ts, verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('../examples/quickstart/main.ts', import.meta.url), 'utf8');
    expect(readme).toContain(code.trim());
  });
  it('runs and trains', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    await import('../examples/quickstart/main');
    spy.mockRestore();
    expect(lines[0]).toBe('rejected: 1 (add): expects 2 input wire(s), got 1');
    const kept = lines.filter((l) => l.startsWith('plan ')).map((l) => Number(/keeps (\d+)/.exec(l)![1]));
    expect(kept[1]).toBe(16 + 8); // the lens form keeps only the inputs
    expect(kept[0]).toBeGreaterThan(kept[1]!);
    const [first, last] = /loss ([\d.]+) → ([\d.]+)/.exec(lines[lines.length - 1]!)!.slice(1).map(Number);
    expect(last!).toBeLessThan(first! / 10);
  });
});
