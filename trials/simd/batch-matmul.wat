;; Batched matrix product for the TF.js wasm backend's heap, in WebAssembly SIMD (128-bit, four float32 lanes).
;;
;; bmm(a, b, c, batch, m, k, n, ai, ap): for each of `batch` products, C (m x n) = A (m x k) x B (k x n). B and C are
;; row-major and contiguous; A[i][p] is read at a + i*ai + p*ap (bytes), so A may be stored transposed (k x m: ai = 4,
;; ap = m*4) or not (m x k: ai = k*4, ap = 4). The products follow each other in memory (A: m*k floats apart, B: k*n,
;; C: m*n). n must be a multiple of 4 (the caller checks). Each C row is built 16 columns at a time in four accumulators
;; (independent adds), then 4 at a time; every element is the float32 sum over p, in increasing order, of the float32
;; products a[i][p] * b[p][j] (no fused multiply-add). The stock kernel sums in that order within blocks of its own, so the
;; two agree bit for bit on short inner sizes (attention's 16) and to float rounding on long ones.
;;
;; The memory is the backend's own (imported), so the kernel reads and writes tensors where they are. Edit this file, then
;; run `npm run wasm` to regenerate trials/simd/wasm-bytes.ts (test/trials/simd.test.ts checks the two agree).
(module
  (import "env" "memory" (memory 0))
  (func (export "bmm") (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
        (param $ai i32) (param $ap i32)
    (local $bi i32) (local $i i32) (local $j i32) (local $p i32)
    (local $aRow i32) (local $cOut i32) (local $aPtr i32) (local $bPtr i32)
    (local $av v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $n16 i32) (local $rowB i32) (local $aSize i32) (local $bSize i32) (local $cSize i32)
    (local.set $rowB (i32.shl (local.get $n) (i32.const 2)))
    (local.set $aSize (i32.shl (i32.mul (local.get $m) (local.get $k)) (i32.const 2)))
    (local.set $bSize (i32.mul (local.get $k) (local.get $rowB)))
    (local.set $cSize (i32.mul (local.get $m) (local.get $rowB)))
    (local.set $n16 (i32.and (local.get $n) (i32.const -16)))
    (block $doneB (loop $batchLoop
      (br_if $doneB (i32.ge_u (local.get $bi) (local.get $batch)))
      (local.set $i (i32.const 0))
      (block $doneI (loop $rowLoop
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $aRow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ai))))
        (local.set $cOut (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowB))))
        (local.set $j (i32.const 0))
        ;; 16 columns at a time
        (block $doneJ16 (loop $colLoop16
          (br_if $doneJ16 (i32.ge_u (local.get $j) (local.get $n16)))
          (local.set $s0 (v128.const i32x4 0 0 0 0))
          (local.set $s1 (v128.const i32x4 0 0 0 0))
          (local.set $s2 (v128.const i32x4 0 0 0 0))
          (local.set $s3 (v128.const i32x4 0 0 0 0))
          (local.set $aPtr (local.get $aRow))
          (local.set $bPtr (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (local.get $k))
          (block $doneP (loop $pLoop
            (br_if $doneP (i32.eqz (local.get $p)))
            (local.set $av (f32x4.splat (f32.load (local.get $aPtr))))
            (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $av) (v128.load (local.get $bPtr)))))
            (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $bPtr)))))
            (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $av) (v128.load offset=32 (local.get $bPtr)))))
            (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $av) (v128.load offset=48 (local.get $bPtr)))))
            (local.set $aPtr (i32.add (local.get $aPtr) (local.get $ap)))
            (local.set $bPtr (i32.add (local.get $bPtr) (local.get $rowB)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $pLoop)))
          (v128.store (local.get $cOut) (local.get $s0))
          (v128.store offset=16 (local.get $cOut) (local.get $s1))
          (v128.store offset=32 (local.get $cOut) (local.get $s2))
          (v128.store offset=48 (local.get $cOut) (local.get $s3))
          (local.set $cOut (i32.add (local.get $cOut) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $colLoop16)))
        ;; 4 columns at a time
        (block $doneJ4 (loop $colLoop4
          (br_if $doneJ4 (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $s0 (v128.const i32x4 0 0 0 0))
          (local.set $aPtr (local.get $aRow))
          (local.set $bPtr (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (local.get $k))
          (block $doneP4 (loop $pLoop4
            (br_if $doneP4 (i32.eqz (local.get $p)))
            (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (f32x4.splat (f32.load (local.get $aPtr))) (v128.load (local.get $bPtr)))))
            (local.set $aPtr (i32.add (local.get $aPtr) (local.get $ap)))
            (local.set $bPtr (i32.add (local.get $bPtr) (local.get $rowB)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $pLoop4)))
          (v128.store (local.get $cOut) (local.get $s0))
          (local.set $cOut (i32.add (local.get $cOut) (i32.const 16)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $colLoop4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowLoop)))
      (local.set $a (i32.add (local.get $a) (local.get $aSize)))
      (local.set $b (i32.add (local.get $b) (local.get $bSize)))
      (local.set $c (i32.add (local.get $c) (local.get $cSize)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $batchLoop)))
  )
)
