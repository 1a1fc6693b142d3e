/**
 * The spec editor: a plain textarea over a backdrop that underlines each problem's characters, with
 * the problem's message written at the end of its line (and listed below, click to jump).
 */
import { esc } from 'catoptric/browser';

/** A problem to show: characters `[from, to)` of the text, and the message (`json.path: what`). */
export interface Mark {
  readonly from: number;
  readonly to: number;
  readonly message: string;
}

export class Editor {
  private marks: readonly Mark[] = [];

  constructor(
    readonly textarea: HTMLTextAreaElement,
    private readonly backdrop: HTMLElement,
    private readonly lens: HTMLElement,
    private readonly list: HTMLElement,
  ) {
    textarea.addEventListener('scroll', () => this.syncScroll());
    textarea.addEventListener('input', () => this.paint());
  }

  get text(): string {
    return this.textarea.value;
  }

  set text(t: string) {
    this.textarea.value = t;
    this.textarea.scrollTop = 0;
    this.paint();
  }

  /** Show these problems (an empty list clears them). */
  show(marks: readonly Mark[]): void {
    this.marks = marks;
    this.paint();
    this.list.replaceChildren(
      ...marks.map((m) => {
        const li = document.createElement('li');
        li.textContent = m.message;
        li.title = 'show in the spec';
        li.addEventListener('click', () => this.select(m));
        return li;
      }),
    );
  }

  private select(m: Mark): void {
    this.textarea.focus();
    this.textarea.setSelectionRange(m.from, Math.max(m.from + 1, m.to));
  }

  private paint(): void {
    const text = this.textarea.value;
    // Marks in order, without overlaps (an enclosing mark yields to the ones inside it).
    const ms = [...this.marks].filter((m) => m.from <= text.length).sort((a, b) => a.from - b.from || b.to - a.to);
    const parts: string[] = [];
    let at = 0;
    for (const m of ms) {
      const from = Math.max(m.from, at);
      const to = Math.max(from, Math.min(m.to, text.length));
      parts.push(esc(text.slice(at, from)));
      // An empty range (the end of the text) still shows a mark one character wide.
      parts.push(`<mark>${to > from ? esc(text.slice(from, to)) : ' '}</mark>`);
      at = to;
    }
    parts.push(esc(text.slice(at)));
    // A trailing newline keeps the backdrop as tall as the textarea's content.
    this.backdrop.innerHTML = parts.join('') + '\n';

    // Messages at the end of the line where their problem starts, one note per line.
    const lines = text.split('\n');
    const byLine = new Map<number, string[]>();
    for (const m of ms) {
      const line = text.slice(0, m.from).split('\n').length - 1;
      byLine.set(line, [...(byLine.get(line) ?? []), m.message]);
    }
    this.lens.replaceChildren(
      ...[...byLine].map(([line, msgs]) => {
        const note = document.createElement('div');
        note.className = 'note';
        note.dataset.line = String(line + 1);
        note.style.top = `calc(${line} * var(--line) + var(--pad))`;
        note.style.left = `calc(${(lines[line] ?? '').length + 3}ch + var(--pad))`;
        note.textContent = `◀ ${msgs.join(' · ')}`;
        return note;
      }),
    );
    this.syncScroll();
  }

  private syncScroll(): void {
    this.backdrop.scrollTop = this.textarea.scrollTop;
    this.backdrop.scrollLeft = this.textarea.scrollLeft;
    this.lens.style.transform = `translate(${-this.textarea.scrollLeft}px, ${-this.textarea.scrollTop}px)`;
  }
}
