/**
 * The catoptric playground: type a spec, see its string diagram and plan frontier, train it.
 *
 * Everything is an interpretation from the library's browser bundle, the same code the command line
 * runs: `loadSpec` (decoder and messages of `catoptric check`), `renderDiagram`, `planFrontier` and
 * `frontierPlot` (`catoptric plan`), `specTrainer` and `lossPlot` (`catoptric train`, in a worker).
 */
import * as cat from 'catoptric/browser';
import { Editor, type Mark } from './editor';
import { isLeft } from './either';
import { jsonSpans, locate, offsetOf } from './locate';
import type { FromWorker, ToWorker } from './protocol';
import { decodeSpecHash, encodeSpecHash } from './share';

interface Example {
  readonly file: string;
  readonly text: string;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: the page has no #${id}`);
  return el as T;
};

const editor = new Editor($<HTMLTextAreaElement>('spec'), $('backdrop'), $('lens'), $('issues'));
const specStatus = $('spec-status');
const diagramEl = $('diagram');
const frontierEl = $('frontier');
const budget = $<HTMLInputElement>('budget');
const budgetOut = $<HTMLOutputElement>('budget-out');
const chosenEl = $('chosen');
const taskSel = $<HTMLSelectElement>('task');
const backendSel = $<HTMLSelectElement>('backend');
const seedIn = $<HTMLInputElement>('seed');
const stepsIn = $<HTMLInputElement>('steps');
const trainBtn = $<HTMLButtonElement>('train');
const stopBtn = $<HTMLButtonElement>('stop');
const progress = $<HTMLProgressElement>('progress');
const trainStatus = $('train-status');
const lossEl = $('loss');
const shareBtn = $<HTMLButtonElement>('share');

// ---------------------------------------------------------------------------------------------
// Formatting

const bytes = (b: number): string => {
  for (const [v, u] of [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']] as const) if (b >= v) return `${Number((b / v).toPrecision(3))} ${u}`;
  return `${b} B`;
};
const si = (n: number): string => {
  for (const [v, u] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (n >= v) return `${Number((n / v).toPrecision(3))}${u}`;
  return String(n);
};

// ---------------------------------------------------------------------------------------------
// The spec: problems inline, diagram and frontier when it checks

interface Current {
  readonly spec: cat.CheckedSpec;
  readonly frontier: readonly cat.PlanPoint[];
  readonly frontierError?: string;
}
let current: Current | undefined;

/** Where each problem is in the text: its JSON path, or the line and column of a JSON syntax error. */
const marksOf = (text: string, issues: readonly cat.DocIssue[]): Mark[] => {
  const syntax = issues.length === 1 && issues[0]!.path.length === 0 ? /at line (\d+), column (\d+)/.exec(issues[0]!.message) : null;
  if (syntax) {
    const at = offsetOf(text, Number(syntax[1]), Number(syntax[2]));
    return [{ from: at, to: at + 1, message: cat.formatIssues(issues)[0]! }];
  }
  const spans = issues.some((i) => i.path.length) ? jsonSpans(text) : new Map();
  const lines = cat.formatIssues(issues);
  return issues.map((issue, k) => {
    const s = locate(spans, issue.path);
    return { from: s?.keyFrom ?? s?.from ?? 0, to: s?.to ?? text.length, message: lines[k]! };
  });
};

const check = (): void => {
  const text = editor.text;
  const r = cat.loadSpec(text);
  if (isLeft(r)) {
    editor.show(marksOf(text, r.left));
    specStatus.textContent = `${r.left.length} problem${r.left.length > 1 ? 's' : ''}`;
    specStatus.className = 'bad';
    document.body.classList.add('stale');
    trainBtn.disabled = true;
    return;
  }
  editor.show([]);
  const spec = r.right;
  const nParams = [...spec.model.params.values()].reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  specStatus.textContent = `ok · ${si(nParams)} parameters`;
  specStatus.className = 'ok';
  document.body.classList.remove('stale');
  let frontier: cat.PlanPoint[] = [];
  let frontierError: string | undefined;
  try {
    frontier = cat.planFrontier(spec.model).frontier;
  } catch (e) {
    frontierError = (e as Error).message;
  }
  const before = current?.spec.doc;
  current = { spec, frontier, ...(frontierError ? { frontierError } : {}) };
  // A spec that names other training settings resets the form to them; typing elsewhere keeps the user's.
  if (!before || before.task?.name !== spec.doc.task?.name || before.train?.steps !== spec.doc.train?.steps || before.train?.seed !== spec.doc.train?.seed)
    trainDefaults(spec.doc);
  trainBtn.disabled = running;
  setBudgetRange();
  drawPlan();
};

// ---------------------------------------------------------------------------------------------
// Plan: budget slider over the frontier, chosen plan on the diagram

/** The slider moves the budget on a log scale from the smallest to the largest peak on the frontier. */
const setBudgetRange = (): void => {
  const f = current?.frontier ?? [];
  budget.disabled = f.length < 2;
  if (!f.length) return;
  const lo = Math.log2(f[0]!.peakBytes);
  const hi = Math.log2(f[f.length - 1]!.peakBytes);
  const keep = Number(budget.value);
  budget.min = String(lo);
  budget.max = String(Math.max(hi, lo + 1e-6));
  budget.step = String(Math.max((hi - lo) / 200, 1e-6));
  // Start at the top (the least-flops plan); keep the user's budget while it is in range.
  budget.value = String(budget.dataset.touched && keep >= lo && keep <= hi ? keep : hi);
};

const drawPlan = (): void => {
  if (!current) return;
  const { spec, frontier, frontierError } = current;
  const name = spec.doc.name;
  const b = 2 ** Number(budget.value);
  const chosen = frontier.length ? cat.chooseWithin(frontier, b * (1 + 1e-9)) : undefined;
  const plan = chosen?.plan ?? ((spec.doc.plan ?? {}) as cat.Plan);
  const d = cat.renderDiagram(spec.model, { title: name, ...cat.diagramPlan(spec.model, plan) });
  diagramEl.innerHTML = d.svg;
  diagramEl.dataset.residualElems = String(d.residualElems);
  // Shrink a diagram a little too wide to fit; a much wider one keeps its size and scrolls.
  const svg = diagramEl.querySelector('svg');
  const room = diagramEl.clientWidth;
  if (svg && room > 0 && d.width > room && d.width <= 1.8 * room) {
    svg.style.width = '100%';
    svg.style.height = 'auto';
  }
  if (frontierError || !chosen) {
    frontierEl.textContent = frontierError ? `no frontier: ${frontierError}` : '';
    budgetOut.value = '';
    chosenEl.textContent = '';
    return;
  }
  budgetOut.value = bytes(b);
  const own = cat.simulate(spec.model, (spec.doc.plan ?? {}) as cat.Plan, 4);
  frontierEl.innerHTML = cat.frontierPlot(frontier, {
    title: `${name}: flops against peak memory`,
    own,
    chosen: { point: chosen, label: `chosen within ${bytes(b)}` },
    width: 520,
    height: 300,
  });
  const recomputed = d.svg.match(/data-residual="recomputed"/g)?.length ?? 0;
  const stored = d.svg.match(/data-residual="stored"/g)?.length ?? 0;
  const what =
    recomputed === 0
      ? `every primitive stores its residual`
      : `${recomputed} primitive${recomputed === 1 ? ' rebuilds its residual' : 's rebuild their residuals'} in the backward pass (orange, ↺×recomputations), ${stored} keep${stored === 1 ? 's its' : ' theirs'} from the forward pass`;
  chosenEl.innerHTML = `<b>${cat.esc(chosen.label)}</b>: peak ${bytes(chosen.peakBytes)}, ${si(chosen.flops)} flops (${si(chosen.recomputeFlops)} recomputed); ${what}.`;
  chosenEl.dataset.label = chosen.label;
  chosenEl.dataset.peakBytes = String(chosen.peakBytes);
};

budget.addEventListener('input', () => {
  budget.dataset.touched = '1';
  drawPlan();
});

// ---------------------------------------------------------------------------------------------
// Training in a worker

let worker: Worker | undefined;
let running = false;
/** Counts runs, so a late timer of one run cannot act on the next. */
let runId = 0;
let losses: number[] = [];
let lastResult: (FromWorker & { type: 'done' }) | undefined;
let drawQueued = false;
let runTitle = '';
let lossTitle = '';

const trainDefaults = (doc: cat.SpecDoc): void => {
  if (doc.task?.name && Array.from(taskSel.options).some((o) => o.value === doc.task!.name)) taskSel.value = doc.task.name;
  stepsIn.value = String(doc.train?.steps ?? cat.DEFAULT_STEPS);
  seedIn.value = String(doc.train?.seed ?? 0);
};

const drawLoss = (): void => {
  drawQueued = false;
  lossEl.innerHTML = cat.lossPlot(losses, { label: runTitle, title: `training loss: ${lossTitle}`, width: 520, height: 300 });
};
const queueLoss = (): void => {
  if (!drawQueued) {
    drawQueued = true;
    requestAnimationFrame(drawLoss);
  }
};

const setRunning = (r: boolean): void => {
  running = r;
  trainBtn.disabled = r || !current;
  stopBtn.disabled = !r;
  trainStatus.dataset.state = r ? 'running' : trainStatus.dataset.state ?? '';
};

const onMessage = (m: FromWorker): void => {
  switch (m.type) {
    case 'started':
      trainStatus.textContent = `${m.backend}: ${m.describe}`;
      return;
    case 'progress':
      losses.push(...m.losses);
      progress.value = m.step;
      trainStatus.textContent = `step ${m.step}/${progress.max} · ${m.stepsPerSecond.toFixed(0)} steps/s · loss ${losses[losses.length - 1]!.toPrecision(4)}`;
      queueLoss();
      return;
    case 'done':
      lastResult = m;
      setRunning(false);
      trainStatus.textContent = `${m.complete ? 'done' : 'stopped'} after ${m.steps} steps in ${m.seconds.toFixed(2)} s (${(m.steps / Math.max(m.seconds, 1e-9)).toFixed(0)} steps/s) · held-out accuracy ${(100 * m.evalAccuracy).toFixed(1)}%, loss ${m.evalLoss.toPrecision(5)}`;
      Object.assign(trainStatus.dataset, { state: m.complete ? 'done' : 'stopped', steps: String(m.steps), evalAccuracy: String(m.evalAccuracy), evalLoss: String(m.evalLoss) });
      drawLoss();
      return;
    case 'error':
      setRunning(false);
      trainStatus.textContent = m.message;
      trainStatus.dataset.state = 'error';
  }
};

const send = (m: ToWorker): void => worker!.postMessage(m);

$('train-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (running || !current) return;
  worker ??= new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
  worker.onerror = (ev) => onMessage({ type: 'error', message: `the worker failed: ${ev.message}` });
  const steps = Math.max(1, Math.floor(Number(stepsIn.value) || cat.DEFAULT_STEPS));
  const seed = Math.max(0, Math.floor(Number(seedIn.value) || 0));
  losses = [];
  lastResult = undefined;
  runId++;
  progress.max = steps;
  progress.value = 0;
  runTitle = `${backendSel.value}, seed ${seed}`;
  lossTitle = `${current.spec.doc.name} on ${taskSel.value}`;
  trainStatus.textContent = 'starting…';
  trainStatus.dataset.state = 'running';
  setRunning(true);
  send({ type: 'train', specText: editor.text, task: taskSel.value, backend: backendSel.value as 'wasm' | 'js', seed, steps });
});

stopBtn.addEventListener('click', () => {
  if (!running || !worker) return;
  send({ type: 'stop' });
  // A step that runs for long cannot read the message: end the worker if this run has not answered.
  const w = worker;
  const stopping = runId;
  setTimeout(() => {
    if (running && worker === w && runId === stopping) {
      w.terminate();
      worker = undefined;
      onMessage({ type: 'error', message: 'stopped (the worker was ended mid-step)' });
    }
  }, 3000);
});

// ---------------------------------------------------------------------------------------------
// Examples, the URL, and start-up

const load = (text: string): void => {
  editor.text = text;
  check();
  void updateHash();
};

let hashTimer: ReturnType<typeof setTimeout> | undefined;
const updateHash = async (): Promise<void> => {
  const h = await encodeSpecHash(editor.text);
  history.replaceState(null, '', h);
};

let checkTimer: ReturnType<typeof setTimeout> | undefined;
editor.textarea.addEventListener('input', () => {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 120);
  clearTimeout(hashTimer);
  hashTimer = setTimeout(() => void updateHash(), 400);
});

shareBtn.addEventListener('click', async () => {
  await updateHash();
  try {
    await navigator.clipboard.writeText(location.href);
    shareBtn.textContent = 'Link copied';
  } catch {
    shareBtn.textContent = 'Link in the address bar';
  }
  setTimeout(() => (shareBtn.textContent = 'Copy link'), 1500);
});

const boot = async (): Promise<void> => {
  for (const t of cat.taskNames()) taskSel.add(new Option(t, t));
  const examples = (await (await fetch(new URL('./examples.json', import.meta.url))).json()) as Example[];
  const nav = $('examples');
  for (const ex of examples) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = ex.file.replace(/^examples\//, '').replace(/\.json$/, '');
    b.title = ex.file;
    b.dataset.file = ex.file;
    b.addEventListener('click', () => load(ex.text));
    nav.append(b);
  }
  const fromUrl = await decodeSpecHash(location.hash);
  const first = examples.find((e) => e.file.endsWith('spirals.json')) ?? examples[0];
  if (fromUrl && 'text' in fromUrl) {
    editor.text = fromUrl.text;
    check();
  } else {
    load(first?.text ?? '');
    if (fromUrl) trainStatus.textContent = fromUrl.error;
  }
  document.body.dataset.ready = '1';
};

/** For tests and the console: the losses and result of the last run. */
(globalThis as Record<string, unknown>).playground = {
  losses: () => [...losses],
  result: () => lastResult,
};

boot().catch((e: unknown) => {
  specStatus.textContent = `the playground failed to start: ${(e as Error).message}`;
  specStatus.className = 'bad';
});
