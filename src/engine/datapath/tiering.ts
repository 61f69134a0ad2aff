// Imported first by the worker: V8 optimises a function only after about 66 KB of its
// bytecode has run (--interrupt-budget), a figure tuned for pages that run a script
// briefly. The datapath runs the same few functions for every packet; on an idle tunnel
// (a ping now and then) they would stay in baseline code for minutes, which measured
// ~0.13 ms more worker CPU per ping round trip and ~0.15 ms more RTT than optimised code.
// With a small budget they are optimised after a few dozen packets. The flag is
// process-wide: the control plane's hot functions get optimised sooner too, which costs
// a little compile time once and nothing after.
import { setFlagsFromString } from 'node:v8';

/** Bytecode bytes a function runs between two of V8's looks at whether to optimise it. */
const INTERRUPT_BUDGET = 1024;

setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
