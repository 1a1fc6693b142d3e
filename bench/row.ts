/** One measurement of a component benchmark (bench/attention.ts, delta.ts, tensor-product.ts, pooling.ts). */
export interface BenchRow<Size = string> {
  readonly op: string;
  readonly size: Size;
  readonly impl: string;
  readonly ms: number;
  readonly gflops?: number;
  readonly bytes?: number;
}
