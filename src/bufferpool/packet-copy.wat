;; Copies bytes within the shared packet memory with WebAssembly's memory.copy (a memmove),
;; for packet-copy.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; copy(to, from, length): bytes [from, from + length) to [to, to + length); the ranges may overlap.
  (func (export "copy") (param $to i32) (param $from i32) (param $length i32)
    (memory.copy (local.get $to) (local.get $from) (local.get $length))))
