/**
 * Loading ONNX Runtime (`onnxruntime-node`, an optional peer dependency) and the few parts of its
 * API used here, typed structurally so that catoptric's own types never depend on the package.
 *
 * Install it with `npm install onnxruntime-node@1.30.0`, with `onnxruntime-node-install=skip` in
 * your `.npmrc`: its install script otherwise downloads GPU providers from outside the registry.
 *
 * @module
 */

/** An ONNX Runtime tensor (the fields used here). */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: unknown;
}

/** Options of `InferenceSession.create` used here. */
export interface OrtSessionOptions {
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  readonly executionMode?: 'sequential' | 'parallel';
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** The module's entry points used here. */
export interface OrtModule {
  readonly InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  readonly Tensor: new (type: string, data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array, dims: readonly number[]) => OrtTensor;
}

/** ONNX Runtime could not be loaded: why, and how to install it. */
export class OrtUnavailableError extends Error {
  override readonly name = 'OrtUnavailableError';
  constructor(readonly reason: string) {
    super(
      `onnxruntime-node cannot be loaded (${reason}); install it with \`npm install onnxruntime-node@1.30.0\` ` +
        'and `onnxruntime-node-install=skip` in .npmrc (its install script fetches GPU providers from outside the registry)',
    );
  }
}

let cached: Promise<OrtModule | OrtUnavailableError> | undefined;

/**
 * ONNX Runtime for Node, or an {@link OrtUnavailableError} saying why it cannot be loaded. Loaded
 * once per process.
 *
 * @example
 * const ort = await loadOrt();
 * if (ort instanceof Error) console.log(ort.message);
 */
export const loadOrt = (): Promise<OrtModule | OrtUnavailableError> => {
  cached ??= (async () => {
    try {
      // A variable specifier keeps bundlers from inlining the optional native package.
      const name = 'onnxruntime-node';
      const m = (await import(/* @vite-ignore */ name)) as { default?: OrtModule } & Partial<OrtModule>;
      const mod = (m.InferenceSession ? m : m.default) as OrtModule | undefined;
      if (!mod?.InferenceSession || !mod.Tensor) return new OrtUnavailableError('the module has no InferenceSession/Tensor');
      return mod;
    } catch (e) {
      return new OrtUnavailableError((e as Error).message.split('\n')[0] ?? String(e));
    }
  })();
  return cached;
};

/** {@link loadOrt}, throwing its error. */
export const requireOrt = async (): Promise<OrtModule> => {
  const m = await loadOrt();
  if (m instanceof Error) throw m;
  return m;
};
