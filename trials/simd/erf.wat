;; The error function for the TF.js wasm backend's heap, in WebAssembly SIMD (four float32 lanes): GELU's `Erf`.
;;
;; erf(x, out, n): out[i] = erf(x[i]) for n floats (n a multiple of 4, the caller checks; byte offsets into the backend's
;; memory, which the module imports). The formula is TF.js's own (tfjs-core's cpu kernel, Abramowitz & Stegun 7.1.26,
;; absolute error below 1.5e-7): erf(x) = sign(x) * (1 - t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5)))) * exp(-x^2)),
;; t = 1 / (1 + p * |x|), in float32, with exp by Cephes' expf: n = round(y / ln 2), r = y - n ln 2 (in two parts),
;; exp(r) by its degree-6 polynomial, times 2^n built in the exponent bits. y = -x^2 is clamped at -87 (exp(-87) ~ 1.6e-38,
;; still a normal float), where 1 - ... is already 1. NaN stays NaN; erf(0) is 0. The stock kernel spends ~12-14 ns an
;; element; this loop a few vector operations per four.
;;
;; Edit this file, then run `npm run wasm` to regenerate trials/simd/wasm-bytes.ts (test/trials/simd.test.ts checks them).
(module
  (import "env" "memory" (memory 0))
  (func (export "erf") (param $x i32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128) (local $a v128) (local $t v128) (local $y v128) (local $k v128) (local $r v128)
    (local $p v128) (local $e v128) (local $q v128) (local $sign v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (local.set $a (f32x4.abs (local.get $v)))
      ;; t = 1 / (1 + p |x|)
      (local.set $t (f32x4.div (f32x4.splat (f32.const 1))
        (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (f32x4.splat (f32.const 0.3275911)) (local.get $a)))))
      ;; y = max(-x^2, -87); k = round(y log2(e)); r = y - k ln 2 (ln 2 = 0.693359375 - 2.12194440e-4)
      (local.set $y (f32x4.max (f32x4.neg (f32x4.mul (local.get $a) (local.get $a))) (f32x4.splat (f32.const -87))))
      (local.set $k (f32x4.nearest (f32x4.mul (local.get $y) (f32x4.splat (f32.const 1.44269504088896341)))))
      (local.set $r (f32x4.sub
        (f32x4.sub (local.get $y) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375))))
        (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
      ;; exp(r) = 1 + r + r^2 * P(r)
      (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
      (local.set $e (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (f32x4.splat (f32.const 1))))
      ;; times 2^k: (k + 127) << 23 as a float's bits (k >= -126: a normal number)
      (local.set $e (f32x4.mul (local.get $e)
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23))))
      ;; q = t (a1 + t (a2 + t (a3 + t (a4 + t a5))))
      (local.set $q (f32x4.add (f32x4.mul (f32x4.splat (f32.const 1.061405429)) (local.get $t)) (f32x4.splat (f32.const -1.453152027))))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 1.421413741))))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const -0.284496736))))
      (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 0.254829592))))
      (local.set $q (f32x4.mul (local.get $q) (local.get $t)))
      ;; sign(x): 1, -1 or 0 (and NaN propagates through the rest)
      (local.set $sign (v128.bitselect (f32x4.splat (f32.const 1)) (f32x4.splat (f32.const 0))
        (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0)))))
      (local.set $sign (v128.bitselect (f32x4.splat (f32.const -1)) (local.get $sign)
        (f32x4.lt (local.get $v) (f32x4.splat (f32.const 0)))))
      (v128.store (local.get $o)
        (f32x4.mul (local.get $sign) (f32x4.sub (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $q) (local.get $e)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $next)))
  )
)
