;; Per-channel arithmetic for the TF.js wasm backend's heap, in WebAssembly SIMD (four float32 lanes).
;;
;; Every function works on `rows` rows of `c` floats (x and out, contiguous, row-major) against rows of `c` floats (s; or m,
;; a and b) that every row shares: the layout of an NHWC activation against a per-channel vector. c must be a positive
;; multiple of 4 (the caller checks). Pointers are byte offsets into the backend's memory, which the module imports. The
;; stock kernels broadcast such a vector one element at a time (~2 ns an element for 8 channels); here each row is a few
;; vector operations. The caller widens rows of few channels (8: a [256, 28, 28, 8] activation) by repeating the vector, so
;; that the loop over a row is not mostly loop overhead.
;;
;; Edit this file, then run `npm run wasm` to regenerate trials/simd/wasm-bytes.ts (test/trials/simd.test.ts checks them).
(module
  (import "env" "memory" (memory 0))
  ;; out[r][j] = x[r][j] * s[j]
  (func (export "mul") (param $x i32) (param $s i32) (param $o i32) (param $rows i32) (param $c i32)
    (local $j i32) (local $row i32)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $rowLoop
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (loop $colLoop
        (v128.store (i32.add (local.get $o) (local.get $j))
          (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $s) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $colLoop (i32.lt_u (local.get $j) (local.get $row))))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $o (i32.add (local.get $o) (local.get $row)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rowLoop))))
  ;; out[r][j] = x[r][j] + s[j]
  (func (export "add") (param $x i32) (param $s i32) (param $o i32) (param $rows i32) (param $c i32)
    (local $j i32) (local $row i32)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $rowLoop
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (loop $colLoop
        (v128.store (i32.add (local.get $o) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $s) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $colLoop (i32.lt_u (local.get $j) (local.get $row))))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $o (i32.add (local.get $o) (local.get $row)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rowLoop))))
  ;; out[r][j] = x[r][j] - s[j]
  (func (export "sub") (param $x i32) (param $s i32) (param $o i32) (param $rows i32) (param $c i32)
    (local $j i32) (local $row i32)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $rowLoop
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (loop $colLoop
        (v128.store (i32.add (local.get $o) (local.get $j))
          (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $s) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $colLoop (i32.lt_u (local.get $j) (local.get $row))))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $o (i32.add (local.get $o) (local.get $row)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rowLoop))))
  ;; out[r][j] = s[j] - x[r][j]
  (func (export "rsub") (param $x i32) (param $s i32) (param $o i32) (param $rows i32) (param $c i32)
    (local $j i32) (local $row i32)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $rowLoop
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (loop $colLoop
        (v128.store (i32.add (local.get $o) (local.get $j))
          (f32x4.sub (v128.load (i32.add (local.get $s) (local.get $j))) (v128.load (i32.add (local.get $x) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $colLoop (i32.lt_u (local.get $j) (local.get $row))))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $o (i32.add (local.get $o) (local.get $row)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rowLoop))))
  ;; out[r][j] = (x[r][j] - m[j]) * a[j] + b[j] (batch norm with the factor a folded per channel; no fused multiply-add)
  (func (export "norm") (param $x i32) (param $m i32) (param $a i32) (param $b i32) (param $o i32) (param $rows i32) (param $c i32)
    (local $j i32) (local $row i32)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    (block $done (loop $rowLoop
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (loop $colLoop
        (v128.store (i32.add (local.get $o) (local.get $j))
          (f32x4.add
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $m) (local.get $j))))
              (v128.load (i32.add (local.get $a) (local.get $j))))
            (v128.load (i32.add (local.get $b) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $colLoop (i32.lt_u (local.get $j) (local.get $row))))
      (local.set $x (i32.add (local.get $x) (local.get $row)))
      (local.set $o (i32.add (local.get $o) (local.get $row)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rowLoop))))
)
