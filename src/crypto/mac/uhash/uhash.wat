;; UHASH-128 (RFC 4418 section 5) as fastd uses it: four iterations, messages up to 2^24
;; bytes, keys prepared by uhash.ts into this state layout (native-endian words):
;;
;;   0     L1 key   268 x u32   NH key: 1024 bytes + 16 more per further iteration
;;   1072  L2 key     4 x u64   the 64-bit POLY key of each iteration, masked (RFC 5.3)
;;   1104  L3 key1   32 x u64   8 per iteration, reduced mod p36
;;   1360  L3 key2    4 x u32
;;
;; NH runs all four iterations over each 32-byte message chunk at once: iteration j uses
;; the key words 4j apart, so five key vectors serve all four, and i64x2.extmul turns two
;; 32-bit lane pairs into 64-bit products per instruction.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; State offsets (see above).
  (global $L2_KEY i32 (i32.const 1072))
  (global $L3_KEY1 i32 (i32.const 1104))
  (global $L3_KEY2 i32 (i32.const 1360))

  (global $L1_BLOCK i32 (i32.const 1024))
  ;; Longest message: fastd (like RFC 4418's 2^17-byte POLY64 range of L2 output) stops here.
  (global $MAX_MESSAGE i32 (i32.const 0x1000000))

  ;; The first `n` (<= 16) bytes at `ptr` as a vector, zero-padded, reading no byte past them.
  (func $load_padded (param $ptr i32) (param $n i32) (result v128)
    (local $lo i64) (local $hi i64)
    (if (i32.ge_u (local.get $n) (i32.const 16)) (then (return (v128.load (local.get $ptr)))))
    (if (i32.ge_u (local.get $n) (i32.const 8))
      (then
        (local.set $lo (i64.load (local.get $ptr)))
        (local.set $hi (call $load_partial (i32.add (local.get $ptr) (i32.const 8)) (i32.sub (local.get $n) (i32.const 8)))))
      (else (local.set $lo (call $load_partial (local.get $ptr) (local.get $n)))))
    (i64x2.replace_lane 1 (i64x2.splat (local.get $lo)) (local.get $hi)))

  ;; The first `n` (< 8) bytes at `ptr` as a little-endian integer.
  (func $load_partial (param $ptr i32) (param $n i32) (result i64)
    (local $v i64)
    (block $done
      (loop $byte
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $v (i64.or (i64.shl (local.get $v) (i64.const 8))
          (i64.load8_u (i32.add (local.get $ptr) (local.get $n)))))
        (br $byte)))
    (local.get $v))

  ;; NH of one L1 block (0..1024 bytes, zero-padded to whole 32-byte chunks, at least one)
  ;; for the four iterations, each plus the block's length in bits (RFC 5.2.1 L1-HASH).
  (func $nh (param $key i32) (param $msg i32) (param $len i32) (result i64 i64 i64 i64)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $m_lo v128) (local $m_hi v128)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128) (local $k4 v128)
    (local $a v128) (local $b v128) (local $rest i32) (local $bits i64)
    (local.set $rest (local.get $len))
    (loop $chunk
      (if (i32.ge_u (local.get $rest) (i32.const 32))
        (then
          (local.set $m_lo (v128.load (local.get $msg)))
          (local.set $m_hi (v128.load offset=16 (local.get $msg))))
        (else
          ;; The last, partial chunk; or the all-zero chunk of an empty message.
          (local.set $m_lo (call $load_padded (local.get $msg) (local.get $rest)))
          (local.set $m_hi (call $load_padded (i32.add (local.get $msg) (i32.const 16))
            (select (i32.sub (local.get $rest) (i32.const 16)) (i32.const 0)
              (i32.gt_u (local.get $rest) (i32.const 16)))))
          (local.set $rest (i32.const 32))))
      (local.set $k0 (v128.load (local.get $key)))
      (local.set $k1 (v128.load offset=16 (local.get $key)))
      (local.set $k2 (v128.load offset=32 (local.get $key)))
      (local.set $k3 (v128.load offset=48 (local.get $key)))
      (local.set $k4 (v128.load offset=64 (local.get $key)))

      (local.set $a (i32x4.add (local.get $m_lo) (local.get $k0)))
      (local.set $b (i32x4.add (local.get $m_hi) (local.get $k1)))
      (local.set $acc0 (i64x2.add (local.get $acc0) (i64x2.add
        (i64x2.extmul_low_i32x4_u (local.get $a) (local.get $b))
        (i64x2.extmul_high_i32x4_u (local.get $a) (local.get $b)))))
      (local.set $a (i32x4.add (local.get $m_lo) (local.get $k1)))
      (local.set $b (i32x4.add (local.get $m_hi) (local.get $k2)))
      (local.set $acc1 (i64x2.add (local.get $acc1) (i64x2.add
        (i64x2.extmul_low_i32x4_u (local.get $a) (local.get $b))
        (i64x2.extmul_high_i32x4_u (local.get $a) (local.get $b)))))
      (local.set $a (i32x4.add (local.get $m_lo) (local.get $k2)))
      (local.set $b (i32x4.add (local.get $m_hi) (local.get $k3)))
      (local.set $acc2 (i64x2.add (local.get $acc2) (i64x2.add
        (i64x2.extmul_low_i32x4_u (local.get $a) (local.get $b))
        (i64x2.extmul_high_i32x4_u (local.get $a) (local.get $b)))))
      (local.set $a (i32x4.add (local.get $m_lo) (local.get $k3)))
      (local.set $b (i32x4.add (local.get $m_hi) (local.get $k4)))
      (local.set $acc3 (i64x2.add (local.get $acc3) (i64x2.add
        (i64x2.extmul_low_i32x4_u (local.get $a) (local.get $b))
        (i64x2.extmul_high_i32x4_u (local.get $a) (local.get $b)))))

      (local.set $msg (i32.add (local.get $msg) (i32.const 32)))
      (local.set $key (i32.add (local.get $key) (i32.const 32)))
      (br_if $chunk (local.tee $rest (i32.sub (local.get $rest) (i32.const 32)))))

    (local.set $bits (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 3)))
    (i64.add (local.get $bits) (i64.add (i64x2.extract_lane 0 (local.get $acc0)) (i64x2.extract_lane 1 (local.get $acc0))))
    (i64.add (local.get $bits) (i64.add (i64x2.extract_lane 0 (local.get $acc1)) (i64x2.extract_lane 1 (local.get $acc1))))
    (i64.add (local.get $bits) (i64.add (i64x2.extract_lane 0 (local.get $acc2)) (i64x2.extract_lane 1 (local.get $acc2))))
    (i64.add (local.get $bits) (i64.add (i64x2.extract_lane 0 (local.get $acc3)) (i64x2.extract_lane 1 (local.get $acc3)))))

  ;; POLY arithmetic mod p64 = 2^64 - 59. Sums a + b with a < p64 reduce without a
  ;; data-dependent branch: a + b >= p64 exactly when (a + 59) + b carries out of 64 bits.
  ;; Written out where used: V8 does not inline small wasm functions, and POLY is a chain of
  ;; dependent steps where call overhead would dominate.

  ;; a * b mod p64 for a < p64 and b < 2^57 (a masked L2 key): the 128-bit product from
  ;; 32-bit halves, then hi * 2^64 = hi * 59 (mod p64).
  (func $mul_p64 (param $a i64) (param $b i64) (result i64)
    (local $al i64) (local $ah i64) (local $bl i64) (local $bh i64)
    (local $lo i64) (local $mid i64) (local $hi59 i64) (local $sum i64)
    (local.set $al (i64.and (local.get $a) (i64.const 0xffffffff)))
    (local.set $ah (i64.shr_u (local.get $a) (i64.const 32)))
    (local.set $bl (i64.and (local.get $b) (i64.const 0xffffffff)))
    (local.set $bh (i64.shr_u (local.get $b) (i64.const 32)))
    (local.set $lo (i64.mul (local.get $al) (local.get $bl)))
    (local.set $mid (i64.add
      (i64.add (i64.mul (local.get $al) (local.get $bh)) (i64.mul (local.get $ah) (local.get $bl)))
      (i64.shr_u (local.get $lo) (i64.const 32))))
    (local.set $hi59 (i64.mul (i64.const 59)
      (i64.add (i64.mul (local.get $ah) (local.get $bh)) (i64.shr_u (local.get $mid) (i64.const 32)))))
    (local.set $lo (i64.or (i64.shl (local.get $mid) (i64.const 32)) (i64.and (local.get $lo) (i64.const 0xffffffff))))
    ;; hi59 + lo mod p64 (hi59 < 2^63 < p64)
    (local.set $sum (i64.add (i64.add (local.get $hi59) (i64.const 59)) (local.get $lo)))
    (select (local.get $sum) (i64.add (local.get $hi59) (local.get $lo))
      (i64.lt_u (local.get $sum) (i64.add (local.get $hi59) (i64.const 59)))))

  ;; One POLY step of L2-HASH (RFC 5.3.1, wordbits 64): y * k + m, except that words at or
  ;; above 2^64 - 2^32 go in as the marker p64 - 1 followed by the word minus 59. Both paths
  ;; are computed; the word picks one.
  (func $poly_step (param $y i64) (param $k i64) (param $m i64) (result i64)
    (local $split i64) (local $plain i64) (local $t i64)
    (local.set $y (call $mul_p64 (local.get $y) (local.get $k)))
    ;; plain = y + m
    (local.set $t (i64.add (local.get $y) (i64.const 59)))
    (local.set $plain (i64.add (local.get $t) (local.get $m)))
    (local.set $plain (select (local.get $plain) (i64.add (local.get $y) (local.get $m))
      (i64.lt_u (local.get $plain) (local.get $t))))
    ;; split = (y + marker) * k + (m - 59)
    (local.set $split (i64.add (local.get $t) (i64.const 0xffffffffffffffc4)))
    (local.set $split (select (local.get $split) (i64.add (local.get $y) (i64.const 0xffffffffffffffc4))
      (i64.lt_u (local.get $split) (local.get $t))))
    (local.set $split (call $mul_p64 (local.get $split) (local.get $k)))
    (local.set $t (i64.add (local.get $split) (i64.const 59)))
    (local.set $m (i64.sub (local.get $m) (i64.const 59)))
    (local.set $split (select (i64.add (local.get $t) (local.get $m)) (i64.add (local.get $split) (local.get $m))
      (i64.lt_u (i64.add (local.get $t) (local.get $m)) (local.get $t))))
    (select (local.get $split) (local.get $plain)
      (i64.eq (i64.shr_u (i64.add (local.get $m) (i64.const 59)) (i64.const 32)) (i64.const 0xffffffff))))

  ;; a mod p36 = 2^36 - 5 for a < 2^58.
  (func $mod_p36 (param $a i64) (result i64)
    (local $a1 i64) (local $a2 i64)
    (local.set $a1 (i64.add (i64.and (local.get $a) (i64.const 0xfffffffff))
      (i64.mul (i64.shr_u (local.get $a) (i64.const 36)) (i64.const 5))))
    (local.set $a2 (i64.add (local.get $a1) (i64.const 5)))
    (select (i64.and (local.get $a2) (i64.const 0xfffffffff)) (local.get $a1)
      (i32.wrap_i64 (i64.shr_u (local.get $a2) (i64.const 36)))))

  ;; L3-HASH (RFC 5.4.1) of the 16-byte L2 output zeroes(8) || y: only key words 4..7 meet
  ;; nonzero 16-bit words. Truncated to 32 bits, XOR the iteration's key2.
  (func $l3 (param $key1 i32) (param $key2 i32) (param $y i64) (result i32)
    (i32.xor (i32.load (local.get $key2))
      (i32.wrap_i64 (call $mod_p36 (i64.add
        (i64.add
          (i64.mul (i64.shr_u (local.get $y) (i64.const 48)) (i64.load offset=32 (local.get $key1)))
          (i64.mul (i64.and (i64.shr_u (local.get $y) (i64.const 32)) (i64.const 0xffff)) (i64.load offset=40 (local.get $key1))))
        (i64.add
          (i64.mul (i64.and (i64.shr_u (local.get $y) (i64.const 16)) (i64.const 0xffff)) (i64.load offset=48 (local.get $key1)))
          (i64.mul (i64.and (local.get $y) (i64.const 0xffff)) (i64.load offset=56 (local.get $key1)))))))))

  ;; UHASH-128 of [msg, msg+len) (len <= MAX_MESSAGE) as the 16 tag bytes: the four 32-bit
  ;; iteration results, big-endian, in order.
  (func $uhash (param $state i32) (param $msg i32) (param $len i32) (result v128)
    (local $y0 i64) (local $y1 i64) (local $y2 i64) (local $y3 i64)
    (local $n0 i64) (local $n1 i64) (local $n2 i64) (local $n3 i64)
    (local $block i32)
    (if (i32.le_u (local.get $len) (global.get $L1_BLOCK))
      (then
        ;; One L1 block: L2-HASH is the identity (RFC 5.3).
        (call $nh (local.get $state) (local.get $msg) (local.get $len))
        (local.set $y3) (local.set $y2) (local.set $y1) (local.set $y0))
      (else
        (local.set $y0 (i64.const 1)) (local.set $y1 (i64.const 1))
        (local.set $y2 (i64.const 1)) (local.set $y3 (i64.const 1))
        (loop $blocks
          (local.set $block (select (global.get $L1_BLOCK) (local.get $len)
            (i32.gt_u (local.get $len) (global.get $L1_BLOCK))))
          (call $nh (local.get $state) (local.get $msg) (local.get $block))
          (local.set $n3) (local.set $n2) (local.set $n1) (local.set $n0)
          (local.set $y0 (call $poly_step (local.get $y0) (i64.load offset=0 (i32.add (local.get $state) (global.get $L2_KEY))) (local.get $n0)))
          (local.set $y1 (call $poly_step (local.get $y1) (i64.load offset=8 (i32.add (local.get $state) (global.get $L2_KEY))) (local.get $n1)))
          (local.set $y2 (call $poly_step (local.get $y2) (i64.load offset=16 (i32.add (local.get $state) (global.get $L2_KEY))) (local.get $n2)))
          (local.set $y3 (call $poly_step (local.get $y3) (i64.load offset=24 (i32.add (local.get $state) (global.get $L2_KEY))) (local.get $n3)))
          (local.set $msg (i32.add (local.get $msg) (local.get $block)))
          (br_if $blocks (local.tee $len (i32.sub (local.get $len) (local.get $block)))))))
    (i8x16.shuffle 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12
      (i32x4.replace_lane 3
        (i32x4.replace_lane 2
          (i32x4.replace_lane 1
            (i32x4.splat (call $l3 (i32.add (local.get $state) (global.get $L3_KEY1))
              (i32.add (local.get $state) (global.get $L3_KEY2)) (local.get $y0)))
            (call $l3 (i32.add (local.get $state) (i32.add (global.get $L3_KEY1) (i32.const 64)))
              (i32.add (local.get $state) (i32.add (global.get $L3_KEY2) (i32.const 4))) (local.get $y1)))
          (call $l3 (i32.add (local.get $state) (i32.add (global.get $L3_KEY1) (i32.const 128)))
            (i32.add (local.get $state) (i32.add (global.get $L3_KEY2) (i32.const 8))) (local.get $y2)))
        (call $l3 (i32.add (local.get $state) (i32.add (global.get $L3_KEY1) (i32.const 192)))
          (i32.add (local.get $state) (i32.add (global.get $L3_KEY2) (i32.const 12))) (local.get $y3)))
      (v128.const i32x4 0 0 0 0)))

  ;; UHASH of [msg, msg+len) written to `out` (16 bytes); for tests and session setup.
  (func (export "uhash") (param $state i32) (param $msg i32) (param $len i32) (param $out i32)
    (v128.store (local.get $out) (call $uhash (local.get $state) (local.get $msg) (local.get $len))))

  ;; Over a descriptor table (u32 offsets, u32 lengths, u8 status; see batch-table.ts): for
  ;; every entry whose status is 0 (Ok), XORs the UHASH of packet bytes [msg_at, length) into
  ;; the 16 bytes at tag_at. Entries too short, too long or reaching past the memory get
  ;; `drop_malformed`.
  (func (export "fold_batch")
    (param $state i32) (param $offsets i32) (param $lengths i32) (param $status i32) (param $count i32)
    (param $tag_at i32) (param $msg_at i32) (param $drop_malformed i32)
    (local $i i32) (local $off i32) (local $len i32) (local $tag i32)
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $status) (local.get $i))))
          (then
            (local.set $off (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $len (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $i) (i32.const 2)))))
            (if (i32.or
                  (i32.or
                    (i32.lt_u (local.get $len) (local.get $msg_at))
                    (i32.lt_u (local.get $len) (i32.add (local.get $tag_at) (i32.const 16))))
                  (i32.or
                    (i32.gt_u (i32.sub (local.get $len) (local.get $msg_at)) (global.get $MAX_MESSAGE))
                    (i64.gt_u (i64.add (i64.extend_i32_u (local.get $off)) (i64.extend_i32_u (local.get $len)))
                      (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))))
              (then (i32.store8 (i32.add (local.get $status) (local.get $i)) (local.get $drop_malformed)))
              (else
                (local.set $tag (i32.add (local.get $off) (local.get $tag_at)))
                (v128.store (local.get $tag) (v128.xor (v128.load (local.get $tag))
                  (call $uhash (local.get $state) (i32.add (local.get $off) (local.get $msg_at))
                    (i32.sub (local.get $len) (local.get $msg_at)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $entry))))
)
