;; The batch halves of fastd's aes128-ctr around OpenSSL's AES (which does the block
;; encryption, in aes128-ctr.ts): laying out the counter blocks of every packet of a batch,
;; and XORing the encrypted counters back into the packets in place.
;;
;; A packet's counter blocks (fastd_method_expand_nonce, then OpenSSL's 128-bit big-endian
;; CTR increment): bytes 0-5 its header nonce, 6-11 zero, 12-15 the big-endian block counter,
;; which starts at 1 (+1 per 16 keystream bytes skipped). A packet never has 2^32 blocks, so
;; the increment never carries out of the last four bytes.
;;
;; Both functions visit the same entries (status byte 0 = Ok) in the same order, each taking
;; ceil(region / 16) blocks, so the keystream of entry i follows that of entry i - 1.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Offset of the nonce within a packet's common header.
  (global $NONCE_OFFSET i32 (i32.const 2))

  (func $bswap32 (param $x i32) (result i32)
    (i32.or
      (i32.or (i32.shl (local.get $x) (i32.const 24))
              (i32.shl (i32.and (local.get $x) (i32.const 0xff00)) (i32.const 8)))
      (i32.or (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0xff00))
              (i32.shr_u (local.get $x) (i32.const 24)))))

  ;; Bytes of packet $i the cipher covers: [start, min(length, start + maxLength)).
  (func $region (param $lengths i32) (param $i i32) (param $start i32) (param $maxLength i32) (result i32)
    (local $length i32)
    (local.set $length (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $i) (i32.const 2)))))
    (if (result i32) (i32.le_u (local.get $length) (local.get $start))
      (then (i32.const 0))
      (else
        (select (local.get $maxLength) (i32.sub (local.get $length) (local.get $start))
                (i32.lt_u (local.get $maxLength) (i32.sub (local.get $length) (local.get $start)))))))

  ;; Writes the counter blocks of every Ok entry to $out; returns how many it wrote.
  (func (export "ctr_counters")
    (param $offsets i32) (param $lengths i32) (param $status i32) (param $count i32)
    (param $start i32) (param $maxLength i32) (param $firstCounter i32) (param $out i32) (result i32)
    (local $i i32)
    (local $nonce i32)
    (local $blocks i32)
    (local $j i32)
    (local $template v128)
    (local $written i32)
    (block $batchDone
      (loop $packet
        (br_if $batchDone (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $status) (local.get $i))))
          (then
            (local.set $nonce (i32.add (global.get $NONCE_OFFSET)
              (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2))))))
            ;; the nonce's six bytes little-endian in the low lane, zeros above
            (local.set $template (i64x2.replace_lane 0 (v128.const i64x2 0 0)
              (i64.or (i64.extend_i32_u (i32.load align=1 (local.get $nonce)))
                      (i64.shl (i64.load16_u align=1 (i32.add (local.get $nonce) (i32.const 4))) (i64.const 32)))))
            (local.set $blocks (i32.shr_u
              (i32.add (call $region (local.get $lengths) (local.get $i) (local.get $start) (local.get $maxLength))
                       (i32.const 15))
              (i32.const 4)))
            (local.set $j (i32.const 0))
            (block $blocksDone
              (loop $block
                (br_if $blocksDone (i32.ge_u (local.get $j) (local.get $blocks)))
                (v128.store (local.get $out)
                  (i32x4.replace_lane 3 (local.get $template)
                    (call $bswap32 (i32.add (local.get $firstCounter) (local.get $j)))))
                (local.set $out (i32.add (local.get $out) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $block)))
            (local.set $written (i32.add (local.get $written) (local.get $blocks)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $packet)))
    (local.get $written))

  ;; XORs $n (< 16) bytes of keystream into memory at $p.
  (func $xor_short (param $p i32) (param $ks i32) (param $n i32)
    (local $k i32)
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (i32.store8 (i32.add (local.get $p) (local.get $k))
          (i32.xor (i32.load8_u (i32.add (local.get $p) (local.get $k)))
                   (i32.load8_u (i32.add (local.get $ks) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $byte)))
    )

  ;; Whether memory at $p XOR the keystream at $ks is nonzero in any of the first $n (<= 16) bytes.
  (func $differs (param $p i32) (param $ks i32) (param $n i32) (result i32)
    (local $k i32)
    (local $any i32)
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $any (i32.or (local.get $any)
          (i32.xor (i32.load8_u (i32.add (local.get $p) (local.get $k)))
                   (i32.load8_u (i32.add (local.get $ks) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $byte)))
    (local.get $any))

  ;; XORs the keystream at $keystream into the region of every Ok entry. With $verify, the
  ;; first 16 bytes must come out all zero; otherwise the entry's status becomes $authFailed
  ;; and its bytes stay exactly as they were.
  (func (export "xor_keystream")
    (param $offsets i32) (param $lengths i32) (param $status i32) (param $count i32)
    (param $start i32) (param $maxLength i32) (param $keystream i32) (param $verify i32) (param $authFailed i32)
    (local $i i32)
    (local $n i32)
    (local $p i32)
    (local $end i32)
    (local $ks i32)
    (local $first i32)
    (block $batchDone
      (loop $packet
        (br_if $batchDone (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $status) (local.get $i))))
          (then
            (local.set $n (call $region (local.get $lengths) (local.get $i) (local.get $start) (local.get $maxLength)))
            (local.set $p (i32.add (local.get $start)
              (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $end (i32.add (local.get $p) (local.get $n)))
            (local.set $ks (local.get $keystream))
            (local.set $keystream (i32.add (local.get $keystream)
              (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16))))
            (block $packetDone
              (if (local.get $verify)
                (then
                  (local.set $first (select (local.get $n) (i32.const 16) (i32.lt_u (local.get $n) (i32.const 16))))
                  (if (call $differs (local.get $p) (local.get $ks) (local.get $first))
                    (then
                      (i32.store8 (i32.add (local.get $status) (local.get $i)) (local.get $authFailed))
                      (br $packetDone)))))
              (block $blocksDone
                (loop $block
                  (br_if $blocksDone (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
                  (v128.store align=1 (local.get $p)
                    (v128.xor (v128.load align=1 (local.get $p)) (v128.load (local.get $ks))))
                  (local.set $p (i32.add (local.get $p) (i32.const 16)))
                  (local.set $ks (i32.add (local.get $ks) (i32.const 16)))
                  (br $block)))
              (call $xor_short (local.get $p) (local.get $ks) (i32.sub (local.get $end) (local.get $p))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $packet)))))
