;; Sums over leading axes for the TF.js wasm backend's heap, in WebAssembly SIMD: `Sum` and `Mean` of [rows, c] over the rows
;; (a bias gradient, batch-norm moments), the same sums as wasm-js-kernels.ts's `sumLeading` bit for bit.
;;
;; leading(v, rows, c, acc, out, div): out[j] = (sum over k of v[k * c + j]) / div for j < c (c a multiple of 4, the caller
;; checks; byte offsets into the backend's memory, which the module imports; acc is scratch for c doubles). As in
;; `sumLeading`: rows go in blocks of ~8 KB (max(1, floor(2048 / c)) rows), which stay in L1 while every column group sums
;; its part of the block in double precision, in row order, from 0; each block sum is then added to acc[j]; at the end
;; out[j] is acc[j] / div rounded to float32. Eight columns at a time (four double-precision pairs, four independent
;; chains of adds), then four; the JS loop does four columns with scalar adds.
;;
;; Edit this file, then run `npm run wasm` to regenerate trials/simd/wasm-bytes.ts (test/trials/simd.test.ts checks them).
(module
  (import "env" "memory" (memory 0))
  (func (export "leading") (param $v i32) (param $rows i32) (param $c i32) (param $acc i32) (param $out i32) (param $div f64)
    (local $block i32) (local $k0 i32) (local $stride i32) (local $j i32) (local $p i32) (local $end i32) (local $a i32)
    (local $x v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $stride (i32.shl (local.get $c) (i32.const 2)))
    ;; rows per block: max(1, floor(2048 / c))
    (local.set $block (i32.div_u (i32.const 2048) (local.get $c)))
    (if (i32.eqz (local.get $block)) (then (local.set $block (i32.const 1))))
    ;; acc = 0
    (local.set $a (local.get $acc))
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 3))))
    (block $zeroed (loop $zero
      (br_if $zeroed (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $a) (v128.const i64x2 0 0))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (br $zero)))
    (block $blocks (loop $nextblock
      (br_if $blocks (i32.ge_u (local.get $k0) (local.get $rows)))
      ;; this block's rows end at byte `end` of v (relative to the block's first row)
      (local.set $end (i32.mul
        (select (local.get $block) (i32.sub (local.get $rows) (local.get $k0))
          (i32.le_u (i32.add (local.get $k0) (local.get $block)) (local.get $rows)))
        (local.get $stride)))
      (local.set $j (i32.const 0))
      ;; eight columns at a time
      (block $eights (loop $eight
        (br_if $eights (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $c)))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $a (i32.add (local.get $p) (local.get $end)))
        (block $rows8 (loop $row8
          (br_if $rows8 (i32.ge_u (local.get $p) (local.get $a)))
          (local.set $x (v128.load (local.get $p)))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $x))))
          (local.set $s1 (f64x2.add (local.get $s1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $x (v128.load offset=16 (local.get $p)))
          (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (local.get $x))))
          (local.set $s3 (f64x2.add (local.get $s3)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (br $row8)))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3))))
        (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $s0)))
        (v128.store offset=16 (local.get $a) (f64x2.add (v128.load offset=16 (local.get $a)) (local.get $s1)))
        (v128.store offset=32 (local.get $a) (f64x2.add (v128.load offset=32 (local.get $a)) (local.get $s2)))
        (v128.store offset=48 (local.get $a) (f64x2.add (v128.load offset=48 (local.get $a)) (local.get $s3)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $eight)))
      ;; four more columns when c is 4 mod 8
      (if (i32.lt_u (local.get $j) (local.get $c)) (then
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $a (i32.add (local.get $p) (local.get $end)))
        (block $rows4 (loop $row4
          (br_if $rows4 (i32.ge_u (local.get $p) (local.get $a)))
          (local.set $x (v128.load (local.get $p)))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $x))))
          (local.set $s1 (f64x2.add (local.get $s1)
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (br $row4)))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3))))
        (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $s0)))
        (v128.store offset=16 (local.get $a) (f64x2.add (v128.load offset=16 (local.get $a)) (local.get $s1)))))
      (local.set $v (i32.add (local.get $v) (local.get $end)))
      (local.set $k0 (i32.add (local.get $k0) (local.get $block)))
      (br $nextblock)))
    ;; out = acc / div, rounded to float32 two at a time
    (local.set $j (i32.const 0))
    (block $written (loop $write
      (br_if $written (i32.ge_u (local.get $j) (local.get $c)))
      (v128.store64_lane 0 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
        (f32x4.demote_f64x2_zero
          (f64x2.div (v128.load (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3)))) (f64x2.splat (local.get $div)))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $write)))
  )
)
