/**
 * Every component the command line knows: the primitives and their JS kernels (the WebAssembly
 * kernels register when `backends/wasm` loads). Importing this module registers them all, so spec
 * files may use any committed primitive.
 */
import '../index';
import '../prims/attention';
import '../prims/delta';
import '../prims/pooling';
import '../prims/tensor-product';
import '../../backends/js/kernels/attention';
import '../../backends/js/kernels/delta';
import '../../backends/js/kernels/pooling';
import '../../backends/js/kernels/tensor-product';
