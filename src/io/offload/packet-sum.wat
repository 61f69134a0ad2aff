;; The Internet checksum's sum (RFC 1071) over bytes of the shared packet memory, sixteen
;; bytes per load, for packet-sum.ts. The words are loaded little-endian: the ones-complement
;; sum of byte-swapped words is the byte-swapped sum (RFC 1071 2(B)), so the folded sum is
;; swapped once at the end.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Bytes per chunk of the vector loop: each i32 lane gains at most 2 x 0xffff per 16 bytes,
  ;; so 32 KiB keep every lane below 2^28 before it is added to the 64-bit total.
  (global $CHUNK i32 (i32.const 32768))

  ;; sum(start, end): bytes [start, end) as big-endian 16-bit words (an odd last byte padded
  ;; with zero), added up and folded to 16 bits; not complemented.
  (func (export "sum") (param $start i32) (param $end i32) (result i32)
    (local $p i32) (local $chunk_end i32) (local $a v128) (local $b v128) (local $total i64)
    (local.set $p (local.get $start))
    (block $vectors_done
      (loop $chunk
        (br_if $vectors_done (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $chunk_end (i32.add (local.get $p) (global.get $CHUNK)))
        (if (i32.gt_u (local.get $chunk_end) (local.get $end)) (then (local.set $chunk_end (local.get $end))))
        (local.set $a (v128.const i64x2 0 0))
        (local.set $b (v128.const i64x2 0 0))
        ;; two accumulators: two loads per step do not wait on each other
        (block $pairs_done
          (loop $pair
            (br_if $pairs_done (i32.gt_u (i32.add (local.get $p) (i32.const 32)) (local.get $chunk_end)))
            (local.set $a (i32x4.add (local.get $a) (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $p)))))
            (local.set $b (i32x4.add (local.get $b) (i32x4.extadd_pairwise_i16x8_u (v128.load offset=16 (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (br $pair)))
        (if (i32.le_u (i32.add (local.get $p) (i32.const 16)) (local.get $chunk_end))
          (then
            (local.set $a (i32x4.add (local.get $a) (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))))
        (local.set $a (i32x4.add (local.get $a) (local.get $b)))
        (local.set $total (i64.add (local.get $total)
          (i64.add
            (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $a))) (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $a))))
            (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $a))) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $a)))))))
        (br $chunk)))
    (block $words_done
      (loop $word
        (br_if $words_done (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $end)))
        (local.set $total (i64.add (local.get $total) (i64.load16_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $word)))
    ;; an odd last byte is the high byte of its big-endian word: the low byte once swapped
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then (local.set $total (i64.add (local.get $total) (i64.load8_u (local.get $p))))))
    (block $folded
      (loop $fold
        (br_if $folded (i64.le_u (local.get $total) (i64.const 0xffff)))
        (local.set $total (i64.add (i64.and (local.get $total) (i64.const 0xffff)) (i64.shr_u (local.get $total) (i64.const 16))))
        (br $fold)))
    (i32.or
      (i32.shl (i32.and (i32.wrap_i64 (local.get $total)) (i32.const 0xff)) (i32.const 8))
      (i32.shr_u (i32.wrap_i64 (local.get $total)) (i32.const 8)))))
