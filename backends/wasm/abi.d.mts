/** One exported function of the Rust crate: name, parameters (Rust types), return type or null, doc. */
export interface RustExport {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: string }[];
  readonly returns: string | null;
  readonly doc: string;
}
export declare const sourceFiles: (srcDir: string) => string[];
export declare const parseExports: (text: string, file: string) => RustExport[];
export declare const crateExports: (srcDir: string) => RustExport[];
export declare const dtsOf: (srcDir: string) => string;
