/**
 * `catoptric export <spec> --onnx DIR [--plan FILE]`: the spec's model under a plan as ONNX graphs:
 * `forward.onnx` (parameters and inputs in; outputs and every kept residual tensor out),
 * `backward.onnx` (parameters, residual and output cotangents in; input and parameter gradients
 * out) and `manifest.json` (the names, shapes and the residual layout per node).
 */
import * as E from 'fp-ts/lib/Either.js';
import { toOnnx } from '../onnx/index';
import { exportFiles } from '../onnx/export';
import type { Plan } from '../plan/plan';
import { PlanCodec, type SpecPlan, formatIssues, issuesOf, parseJson } from '../term/codec';
import { SpecError } from '../term/error';
import { type CommandSpec, UserError, parseArgs } from './args';
import { bytes, table } from './format';
import { type Io, UserErrors, makeDir, readSpec, readText, writeBytes } from './io';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: "Export a spec's model under a plan as ONNX: forward and backward graphs with the residual as graph outputs, and a manifest.",
  positionals: [{ name: 'spec', doc: 'a JSON spec file' }],
  options: {
    onnx: { type: 'string', arg: 'DIR', doc: 'directory to write forward.onnx, backward.onnx and manifest.json into (created if missing)' },
    plan: { type: 'string', arg: 'FILE', doc: 'a plan (JSON: {variants, remat, schedules}) or a spec whose "plan" to use (default: the spec\'s own plan, else store all)' },
    json: { type: 'bool', doc: 'print the manifest and the files written as JSON' },
  },
  notes: [
    'Examples:',
    '  catoptric export examples/parity/parity.json --onnx out/parity',
    '  catoptric export examples/attention/att-svm.json --onnx out/att --plan lean-plan.json',
    '',
    'Parameters are graph inputs (one session serves every training step). The graphs use ONNX opset 21',
    'and standard operators only; they run on ONNX Runtime (onnxruntime-node, onnxruntime-web).',
  ].join('\n'),
};

/** A plan from a file: a plan object, or a spec document's "plan". */
const readPlan = (io: Io, file: string): SpecPlan => {
  const j = parseJson(readText(io, file, 'plan'));
  if (E.isLeft(j)) throw new UserErrors(formatIssues(j.left, file));
  const u = j.right as Record<string, unknown>;
  const isSpec = typeof u === 'object' && u !== null && !Array.isArray(u) && 'catoptric' in u;
  const value = isSpec ? (u.plan ?? {}) : u;
  const r = PlanCodec.decode(value);
  if (E.isLeft(r)) throw new UserErrors(formatIssues(issuesOf(r.left, isSpec ? ['plan'] : []), file));
  return r.right;
};

export const runExport = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, exportCommand);
  const file = a.pos[0]!;
  const dir = a.opts.onnx as string | undefined;
  if (dir === undefined) throw new UserError('--onnx DIR is required (where to write forward.onnx, backward.onnx and manifest.json)');
  const { doc, model } = readSpec(io, file);
  const planFile = a.opts.plan as string | undefined;
  const plan = (planFile !== undefined ? readPlan(io, planFile) : (doc.plan ?? {})) as Plan;
  const ex = toOnnx(model, plan, { spec: doc.name });
  if (E.isLeft(ex)) {
    const e = ex.left;
    const where = planFile !== undefined && e instanceof SpecError ? `${planFile}: plan: ` : `${file}: `;
    throw new UserError(`${where}cannot export: ${e.message}`);
  }
  const files = exportFiles(ex.right);
  makeDir(io, dir);
  const written: { file: string; bytes: number }[] = [];
  for (const [name, b] of Object.entries(files)) {
    const path = `${dir.replace(/\/+$/, '')}/${name}`;
    writeBytes(io, path, b);
    written.push({ file: path, bytes: b.length });
  }
  const m = ex.right.manifest;
  if (a.opts.json) {
    io.out(JSON.stringify({ file, name: doc.name, files: written, manifest: m }, null, 2) + '\n');
    return 0;
  }
  // Residual per node: what the plan keeps, and how much.
  const perNode = new Map<string, { names: string[]; elems: number }>();
  for (const r of m.residual) {
    const e = perNode.get(r.node) ?? { names: [], elems: 0 };
    e.names.push(r.name.slice(r.node.length));
    e.elems += r.shape.reduce((x, y) => x * y, 1);
    perNode.set(r.node, e);
  }
  const total = m.residual.reduce((s, r) => s + r.shape.reduce((x, y) => x * y, 1), 0);
  io.out(
    [
      `${file}: ${doc.name} exported to ONNX (opset ${m.opset}) under plan ${JSON.stringify(plan)}`,
      ...written.map((w) => `  ${w.file}  ${bytes(w.bytes)}`),
      '',
      `forward:  ${m.params.length} parameter(s) + ${m.inputs.length} input(s) in; ${m.outputs.length} output(s) + ${m.residual.length} residual tensor(s) out (${bytes(4 * total)} float32)`,
      `backward: parameters, residual and ${m.outputGrads.length} output cotangent(s) in; ${m.inputGrads.length} input and ${m.paramGrads.length} parameter gradient(s) out`,
      ...(perNode.size
        ? ['', table([['node', 'keeps', 'floats'], ...[...perNode].map(([k, v]) => [k || '<root>', v.names.join(' '), String(v.elems)])], [2])]
        : []),
    ].join('\n') + '\n',
  );
  return 0;
};
