;; Salsa20 and Salsa20/12 keystream XOR (Bernstein, "The Salsa20 family of stream ciphers"),
;; in place over bytes of the shared packet memory, four 64-byte blocks at a time.
;;
;; State word layout of one block (little-endian 32-bit words):
;;
;;    0 sigma0 |  1 key0   |  2 key1   |  3 key2
;;    4 key3   |  5 sigma1 |  6 nonce0 |  7 nonce1
;;    8 ctr lo |  9 ctr hi | 10 sigma2 | 11 key4
;;   12 key5   | 13 key6   | 14 key7   | 15 sigma3
;;
;; Vector x<i> holds word i of four consecutive blocks (lane b = block counter + b), so one
;; SIMD instruction advances all four blocks; a 4x4 transpose per word group turns the
;; lanes back into keystream bytes. Salsa20's rotations (7, 9, 13, 18) are not byte-sized,
;; so each one is a shift pair.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; XORs the first `len` (< 16) bytes of `k` into memory at `ptr`, never touching the
  ;; bytes after them: the next bytes belong to another packet.
  (func $xor_tail (param $ptr i32) (param $len i32) (param $k v128)
    (local $lane i64)
    (local.set $lane (i64x2.extract_lane 0 (local.get $k)))
    (if (i32.ge_u (local.get $len) (i32.const 8))
      (then
        (i64.store (local.get $ptr) (i64.xor (i64.load (local.get $ptr)) (local.get $lane)))
        (local.set $lane (i64x2.extract_lane 1 (local.get $k)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 8)))
        (local.set $len (i32.sub (local.get $len) (i32.const 8)))))
    (block $done
      (loop $byte
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store8 (local.get $ptr)
          (i32.xor (i32.load8_u (local.get $ptr)) (i32.wrap_i64 (local.get $lane))))
        (local.set $lane (i64.shr_u (local.get $lane) (i64.const 8)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $byte))))

  ;; One block in the diagonal layout (a = words 0 5 10 15, b = 4 9 14 3, c = 8 13 2 7,
  ;; d = 12 1 6 11): column and row rounds then have the same shape, with a lane rotation of
  ;; b, c, d in between. Used when the region needs one block only (a MAC pad, a short
  ;; packet), where the four-block kernel would compute three blocks for nothing.
  ;; Arguments as for $stream, with skip + len <= 64 and `ptr` at keystream byte `skip`.
  (func $block1
    (param $rounds i32) (param $key i32) (param $nonce0 i32) (param $nonce1 i32)
    (param $ctr_lo i32) (param $ctr_hi i32) (param $ptr i32) (param $skip i32) (param $len i32)
    (param $compare_first i32)
    (result i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $b0 v128) (local $c0 v128) (local $d0 v128) (local $t v128)
    (local $ad v128) (local $cb v128) (local $da v128) (local $bc v128)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128)
    (local.set $a (v128.const i32x4 0x61707865 0x3320646e 0x79622d32 0x6b206574))
    (local.set $b (local.tee $b0 (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1
      (v128.load32_splat offset=12 (local.get $key)) (local.get $ctr_hi))
      (i32.load offset=28 (local.get $key))) (i32.load offset=8 (local.get $key)))))
    (local.set $c (local.tee $c0 (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1
      (i32x4.splat (local.get $ctr_lo)) (i32.load offset=24 (local.get $key)))
      (i32.load offset=4 (local.get $key))) (local.get $nonce1))))
    (local.set $d (local.tee $d0 (i32x4.replace_lane 3 (i32x4.replace_lane 2 (i32x4.replace_lane 1
      (v128.load32_splat offset=20 (local.get $key)) (i32.load offset=0 (local.get $key)))
      (local.get $nonce0)) (i32.load offset=16 (local.get $key)))))

    (loop $round
      (local.set $b (v128.xor (local.get $b) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $a) (local.get $d))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))
      (local.set $c (v128.xor (local.get $c) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $b) (local.get $a))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))
      (local.set $d (v128.xor (local.get $d) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $c) (local.get $b))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))
      (local.set $a (v128.xor (local.get $a) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $d) (local.get $c))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))
      ;; (b, c, d) <- (d, c, b) rotated by 1, 2, 3 lanes: the other round's arrangement.
      (local.set $t (local.get $b))
      (local.set $b (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get $d) (local.get $d)))
      (local.set $c (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $c) (local.get $c)))
      (local.set $d (i8x16.shuffle 12 13 14 15 0 1 2 3 4 5 6 7 8 9 10 11 (local.get $t) (local.get $t)))
      (br_if $round (local.tee $rounds (i32.sub (local.get $rounds) (i32.const 1)))))

    (local.set $a (i32x4.add (local.get $a) (v128.const i32x4 0x61707865 0x3320646e 0x79622d32 0x6b206574)))
    (local.set $b (i32x4.add (local.get $b) (local.get $b0)))
    (local.set $c (i32x4.add (local.get $c) (local.get $c0)))
    (local.set $d (i32x4.add (local.get $d) (local.get $d0)))
    ;; Words 0-3 are a0 d1 c2 b3, 4-7 b0 a1 d2 c3, 8-11 c0 b1 a2 d3, 12-15 d0 c1 b2 a3.
    (local.set $ad (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31 (local.get $a) (local.get $d)))
    (local.set $cb (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31 (local.get $c) (local.get $b)))
    (local.set $da (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31 (local.get $d) (local.get $a)))
    (local.set $bc (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31 (local.get $b) (local.get $c)))
    (local.set $k0 (i8x16.shuffle 0 1 2 3 4 5 6 7 24 25 26 27 28 29 30 31 (local.get $ad) (local.get $cb)))
    (local.set $k1 (i8x16.shuffle 0 1 2 3 20 21 22 23 24 25 26 27 12 13 14 15 (local.get $bc) (local.get $da)))
    (local.set $k2 (i8x16.shuffle 16 17 18 19 20 21 22 23 8 9 10 11 12 13 14 15 (local.get $ad) (local.get $cb)))
    (local.set $k3 (i8x16.shuffle 0 1 2 3 20 21 22 23 24 25 26 27 12 13 14 15 (local.get $da) (local.get $bc)))

    ;; Move the region's first chunk into k0.
    (block $aligned
      (loop $drop
        (br_if $aligned (i32.lt_u (local.get $skip) (i32.const 16)))
        (local.set $k0 (local.get $k1)) (local.set $k1 (local.get $k2)) (local.set $k2 (local.get $k3))
        (local.set $skip (i32.sub (local.get $skip) (i32.const 16)))
        (br $drop)))
    (if (local.get $compare_first)
      (then
        (if (v128.any_true (v128.xor (v128.load (local.get $ptr)) (local.get $k0))) (then (return (i32.const 0))))
        (local.set $k0 (local.get $k1)) (local.set $k1 (local.get $k2)) (local.set $k2 (local.get $k3))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (local.set $len (i32.sub (local.get $len) (i32.const 16)))))
    (block $done
      (loop $put
        (if (i32.lt_u (local.get $len) (i32.const 16))
          (then (call $xor_tail (local.get $ptr) (local.get $len) (local.get $k0)) (br $done)))
        (v128.store (local.get $ptr) (v128.xor (v128.load (local.get $ptr)) (local.get $k0)))
        (local.set $k0 (local.get $k1)) (local.set $k1 (local.get $k2)) (local.set $k2 (local.get $k3))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (local.set $len (i32.sub (local.get $len) (i32.const 16)))
        (br $put)))
    (i32.const 1))

  ;; XORs keystream bytes [skip, skip+len) of (key, nonce, block counter) into [ptr, ptr+len).
  ;; `rounds` is 20 (Salsa20) or 12 (Salsa20/12); nonce and counter are the little-endian
  ;; state words 6, 7 and 8, 9; `skip` is 0, 16, 32 or 48.
  ;;
  ;; With `compare_first` set, the first 16 bytes of the region are not written: they must
  ;; equal their keystream bytes, or nothing at all is written and the result is 0. A MAC
  ;; thus checks its tag pad before any payload byte is decrypted, in the same keystream
  ;; pass. Returns 1 otherwise. The caller guarantees [ptr, ptr+len) lies inside the memory.
  (func $stream (export "stream")
    (param $rounds i32) (param $key i32) (param $nonce0 i32) (param $nonce1 i32)
    (param $ctr_lo i32) (param $ctr_hi i32) (param $ptr i32) (param $len i32)
    (param $skip i32) (param $compare_first i32)
    (result i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $x4 v128) (local $x5 v128) (local $x6 v128) (local $x7 v128)
    (local $x8 v128) (local $x9 v128) (local $x10 v128) (local $x11 v128)
    (local $x12 v128) (local $x13 v128) (local $x14 v128) (local $x15 v128)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128)
    (local $k4 v128) (local $k5 v128) (local $k6 v128) (local $k7 v128)
    (local $n0 v128) (local $n1 v128) (local $c8 v128) (local $c9 v128)
    (local $o0 v128) (local $o1 v128) (local $o2 v128) (local $o3 v128)
    (local $o4 v128) (local $o5 v128) (local $o6 v128) (local $o7 v128)
    (local $o8 v128) (local $o9 v128) (local $o10 v128) (local $o11 v128)
    (local $o12 v128) (local $o13 v128) (local $o14 v128) (local $o15 v128)
    (local $t v128) (local $ab v128) (local $cd v128) (local $i i32)
    ;; Address of the current group's keystream byte 0 (wraps below ptr in the first group).
    (local $at i32) (local $p i32)

    (if (i32.and (local.get $compare_first) (i32.lt_u (local.get $len) (i32.const 16)))
      (then (return (i32.const 0))))
    (if (i32.eqz (local.get $len)) (then (return (i32.const 1))))
    (local.set $at (i32.sub (local.get $ptr) (local.get $skip)))

    (local.set $k0 (v128.load32_splat offset=0 (local.get $key)))
    (local.set $k1 (v128.load32_splat offset=4 (local.get $key)))
    (local.set $k2 (v128.load32_splat offset=8 (local.get $key)))
    (local.set $k3 (v128.load32_splat offset=12 (local.get $key)))
    (local.set $k4 (v128.load32_splat offset=16 (local.get $key)))
    (local.set $k5 (v128.load32_splat offset=20 (local.get $key)))
    (local.set $k6 (v128.load32_splat offset=24 (local.get $key)))
    (local.set $k7 (v128.load32_splat offset=28 (local.get $key)))
    (local.set $n0 (i32x4.splat (local.get $nonce0)))
    (local.set $n1 (i32x4.splat (local.get $nonce1)))

    (loop $group
      (if (i32.le_u (i32.add (local.get $skip) (local.get $len)) (i32.const 64))
        (then (return (call $block1 (local.get $rounds) (local.get $key) (local.get $nonce0) (local.get $nonce1)
          (local.get $ctr_lo) (local.get $ctr_hi) (i32.add (local.get $at) (local.get $skip))
          (local.get $skip) (local.get $len) (local.get $compare_first)))))
      ;; Counters of the four blocks; a lane whose low word wrapped carries into the high word.
      (local.set $c8 (i32x4.add (i32x4.splat (local.get $ctr_lo)) (v128.const i32x4 0 1 2 3)))
      (local.set $c9 (i32x4.sub (i32x4.splat (local.get $ctr_hi))
        (i32x4.lt_u (local.get $c8) (v128.const i32x4 0 1 2 3))))

      (local.set $x0 (v128.const i32x4 0x61707865 0x61707865 0x61707865 0x61707865))
      (local.set $x1 (local.get $k0))
      (local.set $x2 (local.get $k1))
      (local.set $x3 (local.get $k2))
      (local.set $x4 (local.get $k3))
      (local.set $x5 (v128.const i32x4 0x3320646e 0x3320646e 0x3320646e 0x3320646e))
      (local.set $x6 (local.get $n0))
      (local.set $x7 (local.get $n1))
      (local.set $x8 (local.get $c8))
      (local.set $x9 (local.get $c9))
      (local.set $x10 (v128.const i32x4 0x79622d32 0x79622d32 0x79622d32 0x79622d32))
      (local.set $x11 (local.get $k4))
      (local.set $x12 (local.get $k5))
      (local.set $x13 (local.get $k6))
      (local.set $x14 (local.get $k7))
      (local.set $x15 (v128.const i32x4 0x6b206574 0x6b206574 0x6b206574 0x6b206574))

      (local.set $i (local.get $rounds))
      (loop $double_round
        ;; Column round: quarter-rounds on (0,4,8,12) (5,9,13,1) (10,14,2,6) (15,3,7,11),
        ;; interleaved step by step so the four independent chains overlap.
        (local.set $x4 (v128.xor (local.get $x4) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x0) (local.get $x12))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))
        (local.set $x9 (v128.xor (local.get $x9) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x5) (local.get $x1))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))
        (local.set $x14 (v128.xor (local.get $x14) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x10) (local.get $x6))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))
        (local.set $x3 (v128.xor (local.get $x3) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x15) (local.get $x11))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))

        (local.set $x8 (v128.xor (local.get $x8) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x4) (local.get $x0))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))
        (local.set $x13 (v128.xor (local.get $x13) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x9) (local.get $x5))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))
        (local.set $x2 (v128.xor (local.get $x2) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x14) (local.get $x10))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))
        (local.set $x7 (v128.xor (local.get $x7) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x3) (local.get $x15))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))

        (local.set $x12 (v128.xor (local.get $x12) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x8) (local.get $x4))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))
        (local.set $x1 (v128.xor (local.get $x1) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x13) (local.get $x9))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))
        (local.set $x6 (v128.xor (local.get $x6) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x2) (local.get $x14))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))
        (local.set $x11 (v128.xor (local.get $x11) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x7) (local.get $x3))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))

        (local.set $x0 (v128.xor (local.get $x0) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x12) (local.get $x8))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))
        (local.set $x5 (v128.xor (local.get $x5) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x1) (local.get $x13))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))
        (local.set $x10 (v128.xor (local.get $x10) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x6) (local.get $x2))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))
        (local.set $x15 (v128.xor (local.get $x15) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x11) (local.get $x7))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))

        ;; Row round: quarter-rounds on (0,1,2,3) (5,6,7,4) (10,11,8,9) (15,12,13,14).
        (local.set $x1 (v128.xor (local.get $x1) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x0) (local.get $x3))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))
        (local.set $x6 (v128.xor (local.get $x6) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x5) (local.get $x4))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))
        (local.set $x11 (v128.xor (local.get $x11) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x10) (local.get $x9))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))
        (local.set $x12 (v128.xor (local.get $x12) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x15) (local.get $x14))) (i32.const 7)) (i32x4.shr_u (local.get $t) (i32.const 25)))))

        (local.set $x2 (v128.xor (local.get $x2) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x1) (local.get $x0))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))
        (local.set $x7 (v128.xor (local.get $x7) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x6) (local.get $x5))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))
        (local.set $x8 (v128.xor (local.get $x8) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x11) (local.get $x10))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))
        (local.set $x13 (v128.xor (local.get $x13) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x12) (local.get $x15))) (i32.const 9)) (i32x4.shr_u (local.get $t) (i32.const 23)))))

        (local.set $x3 (v128.xor (local.get $x3) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x2) (local.get $x1))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))
        (local.set $x4 (v128.xor (local.get $x4) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x7) (local.get $x6))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))
        (local.set $x9 (v128.xor (local.get $x9) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x8) (local.get $x11))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))
        (local.set $x14 (v128.xor (local.get $x14) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x13) (local.get $x12))) (i32.const 13)) (i32x4.shr_u (local.get $t) (i32.const 19)))))

        (local.set $x0 (v128.xor (local.get $x0) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x3) (local.get $x2))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))
        (local.set $x5 (v128.xor (local.get $x5) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x4) (local.get $x7))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))
        (local.set $x10 (v128.xor (local.get $x10) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x9) (local.get $x8))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))
        (local.set $x15 (v128.xor (local.get $x15) (v128.or (i32x4.shl (local.tee $t (i32x4.add (local.get $x14) (local.get $x13))) (i32.const 18)) (i32x4.shr_u (local.get $t) (i32.const 14)))))

        (br_if $double_round (local.tee $i (i32.sub (local.get $i) (i32.const 2)))))

      ;; Feed-forward: add the input state.
      (local.set $x0 (i32x4.add (local.get $x0) (v128.const i32x4 0x61707865 0x61707865 0x61707865 0x61707865)))
      (local.set $x1 (i32x4.add (local.get $x1) (local.get $k0)))
      (local.set $x2 (i32x4.add (local.get $x2) (local.get $k1)))
      (local.set $x3 (i32x4.add (local.get $x3) (local.get $k2)))
      (local.set $x4 (i32x4.add (local.get $x4) (local.get $k3)))
      (local.set $x5 (i32x4.add (local.get $x5) (v128.const i32x4 0x3320646e 0x3320646e 0x3320646e 0x3320646e)))
      (local.set $x6 (i32x4.add (local.get $x6) (local.get $n0)))
      (local.set $x7 (i32x4.add (local.get $x7) (local.get $n1)))
      (local.set $x8 (i32x4.add (local.get $x8) (local.get $c8)))
      (local.set $x9 (i32x4.add (local.get $x9) (local.get $c9)))
      (local.set $x10 (i32x4.add (local.get $x10) (v128.const i32x4 0x79622d32 0x79622d32 0x79622d32 0x79622d32)))
      (local.set $x11 (i32x4.add (local.get $x11) (local.get $k4)))
      (local.set $x12 (i32x4.add (local.get $x12) (local.get $k5)))
      (local.set $x13 (i32x4.add (local.get $x13) (local.get $k6)))
      (local.set $x14 (i32x4.add (local.get $x14) (local.get $k7)))
      (local.set $x15 (i32x4.add (local.get $x15) (v128.const i32x4 0x6b206574 0x6b206574 0x6b206574 0x6b206574)))

      ;; Transpose each group of four words (a b c d) into 16-byte keystream chunks:
      ;; ab = a0 b0 a1 b1 / a2 b2 a3 b3, cd likewise, then chunk of block n = lanes n of a b c d.
      ;; o<4n+g> is keystream bytes [64n + 16g, 64n + 16g + 16) of this group.
      (local.set $ab (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x0) (local.get $x1)))
      (local.set $cd (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x2) (local.get $x3)))
      (local.set $o0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o4 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))
      (local.set $ab (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x0) (local.get $x1)))
      (local.set $cd (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x2) (local.get $x3)))
      (local.set $o8 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o12 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))

      (local.set $ab (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x4) (local.get $x5)))
      (local.set $cd (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x6) (local.get $x7)))
      (local.set $o1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o5 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))
      (local.set $ab (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x4) (local.get $x5)))
      (local.set $cd (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x6) (local.get $x7)))
      (local.set $o9 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o13 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))

      (local.set $ab (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x8) (local.get $x9)))
      (local.set $cd (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x10) (local.get $x11)))
      (local.set $o2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o6 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))
      (local.set $ab (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x8) (local.get $x9)))
      (local.set $cd (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x10) (local.get $x11)))
      (local.set $o10 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o14 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))

      (local.set $ab (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x12) (local.get $x13)))
      (local.set $cd (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x14) (local.get $x15)))
      (local.set $o3 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o7 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))
      (local.set $ab (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x12) (local.get $x13)))
      (local.set $cd (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x14) (local.get $x15)))
      (local.set $o11 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd)))
      (local.set $o15 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))

      ;; The region starts `skip` bytes into this group's keystream (first group only). In
      ;; compare mode its first chunk is checked, not written, and then skipped as well.
      (if (local.get $compare_first)
        (then
          (local.set $t (local.get $o0))
          (if (i32.eq (local.get $skip) (i32.const 16)) (then (local.set $t (local.get $o1))))
          (if (i32.eq (local.get $skip) (i32.const 32)) (then (local.set $t (local.get $o2))))
          (if (i32.eq (local.get $skip) (i32.const 48)) (then (local.set $t (local.get $o3))))
          (if (v128.any_true (v128.xor (v128.load (local.get $ptr)) (local.get $t)))
            (then (return (i32.const 0))))
          (local.set $compare_first (i32.const 0))
          (local.set $skip (i32.add (local.get $skip) (i32.const 16)))
          (local.set $len (i32.sub (local.get $len) (i32.const 16)))))

      ;; Chunk c lives at $at + 16c. Write whole chunks while at least 16 bytes remain, then
      ;; the tail, then stop. The first group enters the sequence at chunk skip/16.
      (block $from4
        (block $from3
          (block $from2
            (block $from1
              (block $from0 (br_table $from0 $from1 $from2 $from3 $from4 (i32.shr_u (local.get $skip) (i32.const 4))))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 0)) (local.get $len) (local.get $o0)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 0))) (v128.xor (v128.load (local.get $p)) (local.get $o0)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16))))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 16)) (local.get $len) (local.get $o1)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 16))) (v128.xor (v128.load (local.get $p)) (local.get $o1)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16))))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 32)) (local.get $len) (local.get $o2)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 32))) (v128.xor (v128.load (local.get $p)) (local.get $o2)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16))))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 48)) (local.get $len) (local.get $o3)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 48))) (v128.xor (v128.load (local.get $p)) (local.get $o3)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16))))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 64)) (local.get $len) (local.get $o4)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 64))) (v128.xor (v128.load (local.get $p)) (local.get $o4)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 80)) (local.get $len) (local.get $o5)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 80))) (v128.xor (v128.load (local.get $p)) (local.get $o5)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 96)) (local.get $len) (local.get $o6)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 96))) (v128.xor (v128.load (local.get $p)) (local.get $o6)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 112)) (local.get $len) (local.get $o7)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 112))) (v128.xor (v128.load (local.get $p)) (local.get $o7)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 128)) (local.get $len) (local.get $o8)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 128))) (v128.xor (v128.load (local.get $p)) (local.get $o8)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 144)) (local.get $len) (local.get $o9)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 144))) (v128.xor (v128.load (local.get $p)) (local.get $o9)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 160)) (local.get $len) (local.get $o10)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 160))) (v128.xor (v128.load (local.get $p)) (local.get $o10)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 176)) (local.get $len) (local.get $o11)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 176))) (v128.xor (v128.load (local.get $p)) (local.get $o11)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 192)) (local.get $len) (local.get $o12)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 192))) (v128.xor (v128.load (local.get $p)) (local.get $o12)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 208)) (local.get $len) (local.get $o13)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 208))) (v128.xor (v128.load (local.get $p)) (local.get $o13)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 224)) (local.get $len) (local.get $o14)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 224))) (v128.xor (v128.load (local.get $p)) (local.get $o14)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))
      (if (i32.lt_u (local.get $len) (i32.const 16))
        (then (call $xor_tail (i32.add (local.get $at) (i32.const 240)) (local.get $len) (local.get $o15)) (return (i32.const 1))))
      (v128.store (local.tee $p (i32.add (local.get $at) (i32.const 240))) (v128.xor (v128.load (local.get $p)) (local.get $o15)))
      (local.set $len (i32.sub (local.get $len) (i32.const 16)))

      ;; Next four blocks.
      (local.set $at (i32.add (local.get $at) (i32.const 256)))
      (local.set $skip (i32.const 0))
      (local.set $ctr_lo (i32.add (local.get $ctr_lo) (i32.const 4)))
      (local.set $ctr_hi (i32.add (local.get $ctr_hi) (i32.lt_u (local.get $ctr_lo) (i32.const 4))))
      (br_if $group (local.get $len)))
    (i32.const 1))

  ;; The batch form, over a descriptor table of parallel arrays (u32 offsets, u32 lengths,
  ;; u8 status; see batch-table.ts). For every entry whose status is 0 (Ok): the IV is the
  ;; packet's 6-byte header nonce at offset 2, zero-padded, last byte 1 (fastd's
  ;; expand_nonce for an 8-byte IV), and keystream from byte `ks_offset` (a multiple of 16)
  ;; on is XORed into packet bytes [start, min(length, start + max_len)). In `verify` mode
  ;; (see $stream's compare_first) a mismatch sets the status to `drop_auth`; a region too
  ;; short to verify, or an entry reaching past the memory, gets `drop_malformed`.
  (func (export "crypt_batch")
    (param $rounds i32) (param $key i32)
    (param $offsets i32) (param $lengths i32) (param $status i32) (param $count i32)
    (param $start i32) (param $max_len i32) (param $ks_offset i32) (param $verify i32)
    (param $drop_auth i32) (param $drop_malformed i32)
    (local $i i32) (local $off i32) (local $len i32) (local $end i32)
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $status) (local.get $i))))
          (then
            (local.set $off (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $len (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $end (i32.add (local.get $off) (local.get $len)))
            (if (i32.or
                  (i32.lt_u (local.get $end) (local.get $off))
                  (i64.gt_u (i64.extend_i32_u (local.get $end))
                    (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16))))
              (then (i32.store8 (i32.add (local.get $status) (local.get $i)) (local.get $drop_malformed)))
              (else
                ;; Region length: what lies after `start`, at most max_len.
                (local.set $len (select (i32.sub (local.get $len) (local.get $start)) (i32.const 0)
                  (i32.gt_u (local.get $len) (local.get $start))))
                (if (i32.gt_u (local.get $len) (local.get $max_len)) (then (local.set $len (local.get $max_len))))
                (if (i32.and (local.get $verify) (i32.lt_u (local.get $len) (i32.const 16)))
                  (then (i32.store8 (i32.add (local.get $status) (local.get $i)) (local.get $drop_malformed)))
                  (else
                    (if (i32.eqz (call $stream (local.get $rounds) (local.get $key)
                          (i32.load (i32.add (local.get $off) (i32.const 2)))
                          (i32.or (i32.load16_u (i32.add (local.get $off) (i32.const 6))) (i32.const 0x01000000))
                          (i32.shr_u (local.get $ks_offset) (i32.const 6)) (i32.const 0)
                          (i32.add (local.get $off) (local.get $start)) (local.get $len)
                          (i32.and (local.get $ks_offset) (i32.const 48)) (local.get $verify)))
                      (then (i32.store8 (i32.add (local.get $status) (local.get $i)) (local.get $drop_auth))))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $entry))))
)
