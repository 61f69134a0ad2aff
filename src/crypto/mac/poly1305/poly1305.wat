;; Poly1305 (RFC 8439 section 2.5) over the packets of a batch, in place, one call per batch.
;; The accumulator and r are kept as five 26-bit limbs in i64 locals (poly1305-donna's
;; 32-bit layout), so every product and sum of products fits in 64 bits.
;;
;; A 16-byte block read as a 128-bit little-endian number (lo, hi) splits into limbs at
;; bits 0, 26, 52, 78 and 104 (written out at each use: Node 20's V8 does not inline wasm calls); the final partial block is padded with a 1 byte and zeros
;; and gets no 2^128 bit.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (global $MASK26 i64 (i64.const 0x3ffffff))
  ;; 2^128 in limb 4: the bit every full block carries
  (global $HIBIT i64 (i64.const 0x1000000))

  ;; Bytes [p, p+n) (n < 16) and a 1 byte after them, zero-padded, as (lo, hi). Read byte by
  ;; byte so that a packet ending at the very end of the memory is never read past.
  (func $load_partial (param $p i32) (param $n i32) (result i64 i64)
    (local $lo i64)
    (local $hi i64)
    (local $j i32)
    (local.set $j (local.get $n))
    (if (i32.ge_u (local.get $n) (i32.const 8))
      (then (local.set $hi (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (i32.sub (local.get $n) (i32.const 8)) (i32.const 3))))))
      (else (local.set $lo (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (local.get $n) (i32.const 3)))))))
    (block $done
      (loop $byte
        (br_if $done (i32.eqz (local.get $j)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (if (i32.ge_u (local.get $j) (i32.const 8))
          (then (local.set $hi (i64.or (local.get $hi)
            (i64.shl (i64.load8_u (i32.add (local.get $p) (local.get $j)))
                     (i64.extend_i32_u (i32.shl (i32.sub (local.get $j) (i32.const 8)) (i32.const 3)))))))
          (else (local.set $lo (i64.or (local.get $lo)
            (i64.shl (i64.load8_u (i32.add (local.get $p) (local.get $j)))
                     (i64.extend_i32_u (i32.shl (local.get $j) (i32.const 3))))))))
        (br $byte)))
    (local.get $lo)
    (local.get $hi))

  ;; For every batch entry whose status byte is 0 (Ok), with its one-time key at
  ;; keys + i * keyStride (r then s, 16 bytes each): the tag of packet bytes
  ;; [dataOffset, length). Without $verify it is written at tagOffset; with it, it is
  ;; compared with the tag there and a mismatch sets the status to $authFailed.
  (func (export "poly1305_batch")
    (param $offsets i32) (param $lengths i32) (param $status i32) (param $count i32)
    (param $keys i32) (param $keyStride i32) (param $tagOffset i32) (param $dataOffset i32)
    (param $verify i32) (param $authFailed i32)
    (local $i i32) (local $base i32) (local $p i32) (local $end i32) (local $key i32) (local $tag i32)
    (local $lo i64) (local $hi i64) (local $hibit i64)
    (local $r0 i64) (local $r1 i64) (local $r2 i64) (local $r3 i64) (local $r4 i64)
    (local $s1 i64) (local $s2 i64) (local $s3 i64) (local $s4 i64)
    (local $h0 i64) (local $h1 i64) (local $h2 i64) (local $h3 i64) (local $h4 i64)
    (local $d0 i64) (local $d1 i64) (local $d2 i64) (local $d3 i64) (local $d4 i64)
    (local $g0 i64) (local $g1 i64) (local $g2 i64) (local $g3 i64) (local $g4 i64)
    (local $c i64) (local $useG i32)
    (block $batchDone
      (loop $packet
        (br_if $batchDone (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $status) (local.get $i))))
          (then
            (local.set $base (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $end (i32.add (local.get $base)
                                     (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $p (i32.add (local.get $base) (local.get $dataOffset)))
            (local.set $key (i32.add (local.get $keys) (i32.mul (local.get $i) (local.get $keyStride))))
            ;; r, clamped as RFC 8439 2.5.1 prescribes
            (local.set $lo (i64.and (i64.load align=1 (local.get $key)) (i64.const 0x0ffffffc0fffffff)))
            (local.set $hi (i64.and (i64.load offset=8 align=1 (local.get $key)) (i64.const 0x0ffffffc0ffffffc)))
            (local.set $r0 (i64.and (local.get $lo) (global.get $MASK26)))
            (local.set $r1 (i64.and (i64.shr_u (local.get $lo) (i64.const 26)) (global.get $MASK26)))
            (local.set $r2 (i64.and (i64.or (i64.shr_u (local.get $lo) (i64.const 52)) (i64.shl (local.get $hi) (i64.const 12))) (global.get $MASK26)))
            (local.set $r3 (i64.and (i64.shr_u (local.get $hi) (i64.const 14)) (global.get $MASK26)))
            (local.set $r4 (i64.shr_u (local.get $hi) (i64.const 40)))
            (local.set $s1 (i64.mul (local.get $r1) (i64.const 5)))
            (local.set $s2 (i64.mul (local.get $r2) (i64.const 5)))
            (local.set $s3 (i64.mul (local.get $r3) (i64.const 5)))
            (local.set $s4 (i64.mul (local.get $r4) (i64.const 5)))
            (local.set $h0 (i64.const 0)) (local.set $h1 (i64.const 0)) (local.set $h2 (i64.const 0))
            (local.set $h3 (i64.const 0)) (local.set $h4 (i64.const 0))
            (block $blocksDone
              (loop $block
                (br_if $blocksDone (i32.ge_u (local.get $p) (local.get $end)))
                (if (i32.le_u (i32.add (local.get $p) (i32.const 16)) (local.get $end))
                  (then
                    (local.set $lo (i64.load align=1 (local.get $p)))
                    (local.set $hi (i64.load offset=8 align=1 (local.get $p)))
                    (local.set $hibit (global.get $HIBIT)))
                  (else
                    (call $load_partial (local.get $p) (i32.sub (local.get $end) (local.get $p)))
                    (local.set $hi)
                    (local.set $lo)
                    (local.set $hibit (i64.const 0))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                ;; h += block
                (local.set $h0 (i64.add (local.get $h0) (i64.and (local.get $lo) (global.get $MASK26))))
                (local.set $h1 (i64.add (local.get $h1) (i64.and (i64.shr_u (local.get $lo) (i64.const 26)) (global.get $MASK26))))
                (local.set $h2 (i64.add (local.get $h2) (i64.and (i64.or (i64.shr_u (local.get $lo) (i64.const 52)) (i64.shl (local.get $hi) (i64.const 12))) (global.get $MASK26))))
                (local.set $h3 (i64.add (local.get $h3) (i64.and (i64.shr_u (local.get $hi) (i64.const 14)) (global.get $MASK26))))
                (local.set $h4 (i64.add (local.get $h4) (i64.or (i64.shr_u (local.get $hi) (i64.const 40)) (local.get $hibit))))
                ;; h *= r, mod 2^130 - 5 (2^130 wraps around as 5, hence s = 5 r)
                (local.set $d0 (i64.add (i64.add (i64.add (i64.add
                  (i64.mul (local.get $h0) (local.get $r0)) (i64.mul (local.get $h1) (local.get $s4)))
                  (i64.mul (local.get $h2) (local.get $s3))) (i64.mul (local.get $h3) (local.get $s2)))
                  (i64.mul (local.get $h4) (local.get $s1))))
                (local.set $d1 (i64.add (i64.add (i64.add (i64.add
                  (i64.mul (local.get $h0) (local.get $r1)) (i64.mul (local.get $h1) (local.get $r0)))
                  (i64.mul (local.get $h2) (local.get $s4))) (i64.mul (local.get $h3) (local.get $s3)))
                  (i64.mul (local.get $h4) (local.get $s2))))
                (local.set $d2 (i64.add (i64.add (i64.add (i64.add
                  (i64.mul (local.get $h0) (local.get $r2)) (i64.mul (local.get $h1) (local.get $r1)))
                  (i64.mul (local.get $h2) (local.get $r0))) (i64.mul (local.get $h3) (local.get $s4)))
                  (i64.mul (local.get $h4) (local.get $s3))))
                (local.set $d3 (i64.add (i64.add (i64.add (i64.add
                  (i64.mul (local.get $h0) (local.get $r3)) (i64.mul (local.get $h1) (local.get $r2)))
                  (i64.mul (local.get $h2) (local.get $r1))) (i64.mul (local.get $h3) (local.get $r0)))
                  (i64.mul (local.get $h4) (local.get $s4))))
                (local.set $d4 (i64.add (i64.add (i64.add (i64.add
                  (i64.mul (local.get $h0) (local.get $r4)) (i64.mul (local.get $h1) (local.get $r3)))
                  (i64.mul (local.get $h2) (local.get $r2))) (i64.mul (local.get $h3) (local.get $r1)))
                  (i64.mul (local.get $h4) (local.get $r0))))
                ;; carry back into 26-bit limbs
                (local.set $c (i64.shr_u (local.get $d0) (i64.const 26)))
                (local.set $h0 (i64.and (local.get $d0) (global.get $MASK26)))
                (local.set $d1 (i64.add (local.get $d1) (local.get $c)))
                (local.set $c (i64.shr_u (local.get $d1) (i64.const 26)))
                (local.set $h1 (i64.and (local.get $d1) (global.get $MASK26)))
                (local.set $d2 (i64.add (local.get $d2) (local.get $c)))
                (local.set $c (i64.shr_u (local.get $d2) (i64.const 26)))
                (local.set $h2 (i64.and (local.get $d2) (global.get $MASK26)))
                (local.set $d3 (i64.add (local.get $d3) (local.get $c)))
                (local.set $c (i64.shr_u (local.get $d3) (i64.const 26)))
                (local.set $h3 (i64.and (local.get $d3) (global.get $MASK26)))
                (local.set $d4 (i64.add (local.get $d4) (local.get $c)))
                (local.set $c (i64.shr_u (local.get $d4) (i64.const 26)))
                (local.set $h4 (i64.and (local.get $d4) (global.get $MASK26)))
                (local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 5))))
                (local.set $c (i64.shr_u (local.get $h0) (i64.const 26)))
                (local.set $h0 (i64.and (local.get $h0) (global.get $MASK26)))
                (local.set $h1 (i64.add (local.get $h1) (local.get $c)))
                (br $block)))
            ;; fully carry h
            (local.set $c (i64.shr_u (local.get $h1) (i64.const 26)))
            (local.set $h1 (i64.and (local.get $h1) (global.get $MASK26)))
            (local.set $h2 (i64.add (local.get $h2) (local.get $c)))
            (local.set $c (i64.shr_u (local.get $h2) (i64.const 26)))
            (local.set $h2 (i64.and (local.get $h2) (global.get $MASK26)))
            (local.set $h3 (i64.add (local.get $h3) (local.get $c)))
            (local.set $c (i64.shr_u (local.get $h3) (i64.const 26)))
            (local.set $h3 (i64.and (local.get $h3) (global.get $MASK26)))
            (local.set $h4 (i64.add (local.get $h4) (local.get $c)))
            (local.set $c (i64.shr_u (local.get $h4) (i64.const 26)))
            (local.set $h4 (i64.and (local.get $h4) (global.get $MASK26)))
            (local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 5))))
            (local.set $c (i64.shr_u (local.get $h0) (i64.const 26)))
            (local.set $h0 (i64.and (local.get $h0) (global.get $MASK26)))
            (local.set $h1 (i64.add (local.get $h1) (local.get $c)))
            ;; g = h + 5 - 2^130; h >= 2^130 - 5 exactly when g does not go negative
            (local.set $g0 (i64.add (local.get $h0) (i64.const 5)))
            (local.set $c (i64.shr_u (local.get $g0) (i64.const 26)))
            (local.set $g0 (i64.and (local.get $g0) (global.get $MASK26)))
            (local.set $g1 (i64.add (local.get $h1) (local.get $c)))
            (local.set $c (i64.shr_u (local.get $g1) (i64.const 26)))
            (local.set $g1 (i64.and (local.get $g1) (global.get $MASK26)))
            (local.set $g2 (i64.add (local.get $h2) (local.get $c)))
            (local.set $c (i64.shr_u (local.get $g2) (i64.const 26)))
            (local.set $g2 (i64.and (local.get $g2) (global.get $MASK26)))
            (local.set $g3 (i64.add (local.get $h3) (local.get $c)))
            (local.set $c (i64.shr_u (local.get $g3) (i64.const 26)))
            (local.set $g3 (i64.and (local.get $g3) (global.get $MASK26)))
            (local.set $g4 (i64.sub (i64.add (local.get $h4) (local.get $c)) (i64.const 0x4000000)))
            (local.set $useG (i64.ge_s (local.get $g4) (i64.const 0)))
            (local.set $h0 (select (local.get $g0) (local.get $h0) (local.get $useG)))
            (local.set $h1 (select (local.get $g1) (local.get $h1) (local.get $useG)))
            (local.set $h2 (select (local.get $g2) (local.get $h2) (local.get $useG)))
            (local.set $h3 (select (local.get $g3) (local.get $h3) (local.get $useG)))
            (local.set $h4 (select (local.get $g4) (local.get $h4) (local.get $useG)))
            ;; tag = (h + s) mod 2^128
            (local.set $lo (i64.or (i64.or (local.get $h0) (i64.shl (local.get $h1) (i64.const 26)))
                                   (i64.shl (local.get $h2) (i64.const 52))))
            (local.set $hi (i64.or (i64.or (i64.shr_u (local.get $h2) (i64.const 12)) (i64.shl (local.get $h3) (i64.const 14)))
                                   (i64.shl (local.get $h4) (i64.const 40))))
            (local.set $d0 (i64.add (local.get $lo) (i64.load offset=16 align=1 (local.get $key))))
            (local.set $hi (i64.add (i64.add (local.get $hi) (i64.load offset=24 align=1 (local.get $key)))
                                    (i64.extend_i32_u (i64.lt_u (local.get $d0) (local.get $lo)))))
            (local.set $lo (local.get $d0))
            (local.set $tag (i32.add (local.get $base) (local.get $tagOffset)))
            (if (local.get $verify)
              (then
                (if (i64.ne (i64.const 0)
                      (i64.or (i64.xor (local.get $lo) (i64.load align=1 (local.get $tag)))
                              (i64.xor (local.get $hi) (i64.load offset=8 align=1 (local.get $tag)))))
                  (then (i32.store8 (i32.add (local.get $status) (local.get $i)) (local.get $authFailed)))))
              (else
                (i64.store align=1 (local.get $tag) (local.get $lo))
                (i64.store offset=8 align=1 (local.get $tag) (local.get $hi))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $packet)))))
