;; GHASH (NIST SP 800-38D, section 6.4) over the packets of a batch, in place, one call per
;; batch. WebAssembly has no carry-less multiply, so multiplying by the hash key H is done
;; with the key expanded into 32 tables of 16 blocks (ghash-key.ts): table i holds
;; v * x^(4i) * H for each value v of the input's nibble i (high nibble of byte i/2 first),
;; and X * H is the XOR of one entry per nibble of X. No reduction step remains at run time.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; X * H: table i sits at key + 256 i, entry v at + 16 v; lane k feeds tables 2k and 2k+1.
  ;; Both nibbles of every byte are scaled to entry offsets (16 v) in two vector operations
  ;; up front; four accumulators keep the XORs from forming one 32-long dependency chain.
  (func $mul_h (param $key i32) (param $x v128) (result v128)
    (local $high v128)
    (local $low v128)
    (local $a0 v128)
    (local $a1 v128)
    (local $a2 v128)
    (local $a3 v128)
    (local.set $high (v128.and (local.get $x) (v128.const i8x16 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0)))
    (local.set $low (i8x16.shl (local.get $x) (i32.const 4)))
    (local.set $a0 (v128.xor (local.get $a0)
      (v128.xor (v128.load offset=0 (i32.add (local.get $key) (i8x16.extract_lane_u 0 (local.get $high))))
                (v128.load offset=256 (i32.add (local.get $key) (i8x16.extract_lane_u 0 (local.get $low)))))))
    (local.set $a1 (v128.xor (local.get $a1)
      (v128.xor (v128.load offset=512 (i32.add (local.get $key) (i8x16.extract_lane_u 1 (local.get $high))))
                (v128.load offset=768 (i32.add (local.get $key) (i8x16.extract_lane_u 1 (local.get $low)))))))
    (local.set $a2 (v128.xor (local.get $a2)
      (v128.xor (v128.load offset=1024 (i32.add (local.get $key) (i8x16.extract_lane_u 2 (local.get $high))))
                (v128.load offset=1280 (i32.add (local.get $key) (i8x16.extract_lane_u 2 (local.get $low)))))))
    (local.set $a3 (v128.xor (local.get $a3)
      (v128.xor (v128.load offset=1536 (i32.add (local.get $key) (i8x16.extract_lane_u 3 (local.get $high))))
                (v128.load offset=1792 (i32.add (local.get $key) (i8x16.extract_lane_u 3 (local.get $low)))))))
    (local.set $a0 (v128.xor (local.get $a0)
      (v128.xor (v128.load offset=2048 (i32.add (local.get $key) (i8x16.extract_lane_u 4 (local.get $high))))
                (v128.load offset=2304 (i32.add (local.get $key) (i8x16.extract_lane_u 4 (local.get $low)))))))
    (local.set $a1 (v128.xor (local.get $a1)
      (v128.xor (v128.load offset=2560 (i32.add (local.get $key) (i8x16.extract_lane_u 5 (local.get $high))))
                (v128.load offset=2816 (i32.add (local.get $key) (i8x16.extract_lane_u 5 (local.get $low)))))))
    (local.set $a2 (v128.xor (local.get $a2)
      (v128.xor (v128.load offset=3072 (i32.add (local.get $key) (i8x16.extract_lane_u 6 (local.get $high))))
                (v128.load offset=3328 (i32.add (local.get $key) (i8x16.extract_lane_u 6 (local.get $low)))))))
    (local.set $a3 (v128.xor (local.get $a3)
      (v128.xor (v128.load offset=3584 (i32.add (local.get $key) (i8x16.extract_lane_u 7 (local.get $high))))
                (v128.load offset=3840 (i32.add (local.get $key) (i8x16.extract_lane_u 7 (local.get $low)))))))
    (local.set $a0 (v128.xor (local.get $a0)
      (v128.xor (v128.load offset=4096 (i32.add (local.get $key) (i8x16.extract_lane_u 8 (local.get $high))))
                (v128.load offset=4352 (i32.add (local.get $key) (i8x16.extract_lane_u 8 (local.get $low)))))))
    (local.set $a1 (v128.xor (local.get $a1)
      (v128.xor (v128.load offset=4608 (i32.add (local.get $key) (i8x16.extract_lane_u 9 (local.get $high))))
                (v128.load offset=4864 (i32.add (local.get $key) (i8x16.extract_lane_u 9 (local.get $low)))))))
    (local.set $a2 (v128.xor (local.get $a2)
      (v128.xor (v128.load offset=5120 (i32.add (local.get $key) (i8x16.extract_lane_u 10 (local.get $high))))
                (v128.load offset=5376 (i32.add (local.get $key) (i8x16.extract_lane_u 10 (local.get $low)))))))
    (local.set $a3 (v128.xor (local.get $a3)
      (v128.xor (v128.load offset=5632 (i32.add (local.get $key) (i8x16.extract_lane_u 11 (local.get $high))))
                (v128.load offset=5888 (i32.add (local.get $key) (i8x16.extract_lane_u 11 (local.get $low)))))))
    (local.set $a0 (v128.xor (local.get $a0)
      (v128.xor (v128.load offset=6144 (i32.add (local.get $key) (i8x16.extract_lane_u 12 (local.get $high))))
                (v128.load offset=6400 (i32.add (local.get $key) (i8x16.extract_lane_u 12 (local.get $low)))))))
    (local.set $a1 (v128.xor (local.get $a1)
      (v128.xor (v128.load offset=6656 (i32.add (local.get $key) (i8x16.extract_lane_u 13 (local.get $high))))
                (v128.load offset=6912 (i32.add (local.get $key) (i8x16.extract_lane_u 13 (local.get $low)))))))
    (local.set $a2 (v128.xor (local.get $a2)
      (v128.xor (v128.load offset=7168 (i32.add (local.get $key) (i8x16.extract_lane_u 14 (local.get $high))))
                (v128.load offset=7424 (i32.add (local.get $key) (i8x16.extract_lane_u 14 (local.get $low)))))))
    (local.set $a3 (v128.xor (local.get $a3)
      (v128.xor (v128.load offset=7680 (i32.add (local.get $key) (i8x16.extract_lane_u 15 (local.get $high))))
                (v128.load offset=7936 (i32.add (local.get $key) (i8x16.extract_lane_u 15 (local.get $low)))))))
    (v128.xor (v128.xor (local.get $a0) (local.get $a1)) (v128.xor (local.get $a2) (local.get $a3))))

  ;; The last, partial block of a message: its n (< 16) bytes, zero-padded. Read byte by
  ;; byte so that a packet ending at the very end of the memory is never read past.
  (func $load_partial (param $p i32) (param $n i32) (result v128)
    (local $low i64)
    (local $high i64)
    (local $j i32)
    (local.set $j (local.get $n))
    (block $done
      (loop $byte
        (br_if $done (i32.eqz (local.get $j)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (if (i32.ge_u (local.get $j) (i32.const 8))
          (then (local.set $high (i64.or (i64.shl (local.get $high) (i64.const 8))
                                         (i64.load8_u (i32.add (local.get $p) (local.get $j))))))
          (else (local.set $low (i64.or (i64.shl (local.get $low) (i64.const 8))
                                        (i64.load8_u (i32.add (local.get $p) (local.get $j)))))))
        (br $byte)))
    (i64x2.replace_lane 1 (i64x2.replace_lane 0 (v128.const i64x2 0 0) (local.get $low)) (local.get $high)))

  (func $bswap32 (param $x i32) (result i32)
    (i32.or
      (i32.or (i32.shl (local.get $x) (i32.const 24))
              (i32.shl (i32.and (local.get $x) (i32.const 0xff00)) (i32.const 8)))
      (i32.or (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0xff00))
              (i32.shr_u (local.get $x) (i32.const 24)))))

  ;; For each batch entry whose status byte is 0 (Ok): hashes packet bytes [dataOffset, length)
  ;; followed by fastd's length block and XORs the hash into the 16 bytes at tagOffset.
  ;; The length block carries the message length in bits as a big-endian u32 in its last four
  ;; bytes (standard GCM with no associated data), or with $sizeHigh in bytes 4-7, as fastd's
  ;; composed-gmac does (GHASH_SHIFT_SIZE).
  (func (export "ghash_batch")
    (param $key i32) (param $offsets i32) (param $lengths i32) (param $status i32) (param $count i32)
    (param $tagOffset i32) (param $dataOffset i32) (param $sizeHigh i32)
    (local $i i32)
    (local $base i32)
    (local $p i32)
    (local $end i32)
    (local $bits i32)
    (local $y v128)
    (local $tag i32)
    (block $batchDone
      (loop $packet
        (br_if $batchDone (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $status) (local.get $i))))
          (then
            (local.set $base (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $end (i32.add (local.get $base)
                                     (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $p (i32.add (local.get $base) (local.get $dataOffset)))
            (local.set $bits (i32.shl (i32.sub (local.get $end) (local.get $p)) (i32.const 3)))
            (local.set $y (v128.const i64x2 0 0))
            (block $blocksDone
              (loop $block
                (br_if $blocksDone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
                (local.set $y (call $mul_h (local.get $key) (v128.xor (local.get $y) (v128.load align=1 (local.get $p)))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (br $block)))
            (if (i32.lt_u (local.get $p) (local.get $end))
              (then
                (local.set $y (call $mul_h (local.get $key)
                  (v128.xor (local.get $y) (call $load_partial (local.get $p) (i32.sub (local.get $end) (local.get $p))))))))
            (local.set $y (call $mul_h (local.get $key)
              (v128.xor (local.get $y)
                (if (result v128) (local.get $sizeHigh)
                  (then (i32x4.replace_lane 1 (v128.const i64x2 0 0) (call $bswap32 (local.get $bits))))
                  (else (i32x4.replace_lane 3 (v128.const i64x2 0 0) (call $bswap32 (local.get $bits))))))))
            (local.set $tag (i32.add (local.get $base) (local.get $tagOffset)))
            (v128.store align=1 (local.get $tag) (v128.xor (v128.load align=1 (local.get $tag)) (local.get $y)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $packet)))))
