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

// Optimised code that reads typed arrays leaves out their detached checks for as long as no
// ArrayBuffer of the isolate was ever detached; the first detach throws all that code away.
// The worker detaches one at its first handshake (the records go to the control plane
// transferred), so every function the warm-up had optimised fell back to baseline code just
// as real traffic began. Detached here, before any code is optimised, the warm-up's code is
// the code traffic keeps.
const detached = new ArrayBuffer(0);
structuredClone(detached, { transfer: [detached] });
