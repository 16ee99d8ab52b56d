;; The exponential for the TF.js wasm backend's heap, in WebAssembly SIMD (four float32 lanes): `Exp` (softmax, GELU's and
;; the losses' gradients).
;;
;; exp(x, out, n): out[i] = e^x[i] for n floats (n a multiple of 4, the caller checks; byte offsets into the backend's memory,
;; which the module imports). Cephes' expf: k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts, so r is exact), e^r by
;; its degree-6 polynomial on [-ln 2 / 2, ln 2 / 2] (~1 ulp), then times 2^k as two exact powers of two 2^(k >> 1) and
;; 2^(k - (k >> 1)): each stays a normal float for every k of the clamped range, so the product overflows to +Infinity
;; above ~88.72 and underflows gradually through the subnormals below ~-87.34 as e^x itself does. x is clamped to
;; [-104, 89] first (e^-104 rounds to 0, e^89 to +Infinity), which also gives e^-Infinity = 0 and e^Infinity = Infinity;
;; NaN stays NaN. The stock kernel spends ~8 ns an element on a scalar libm call.
;;
;; Edit this file, then run `npm run wasm` to regenerate trials/simd/wasm-bytes.ts (test/trials/simd.test.ts checks them).
(module
  (import "env" "memory" (memory 0))
  (func (export "exp") (param $x i32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128) (local $k v128) (local $r v128) (local $p v128) (local $ki v128) (local $half v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      ;; clamp (min / max keep NaN)
      (local.set $v (f32x4.max (f32x4.min (v128.load (local.get $x)) (f32x4.splat (f32.const 89))) (f32x4.splat (f32.const -104))))
      ;; k = round(x log2(e)); r = x - k ln 2 (ln 2 = 0.693359375 - 2.12194440e-4)
      (local.set $k (f32x4.nearest (f32x4.mul (local.get $v) (f32x4.splat (f32.const 1.44269504088896341)))))
      (local.set $r (f32x4.sub
        (f32x4.sub (local.get $v) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375))))
        (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
      ;; e^r = 1 + r + r^2 P(r)
      (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
      (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
      (local.set $p (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (f32x4.splat (f32.const 1))))
      ;; times 2^(k >> 1) and 2^(k - (k >> 1)), each (j + 127) << 23 as a float's bits; k is in [-150, 128], so j is in
      ;; [-75, 64]: normal numbers (NaN's k converts to 0 and the NaN stays in p)
      (local.set $ki (i32x4.trunc_sat_f32x4_s (local.get $k)))
      (local.set $half (i32x4.shr_s (local.get $ki) (i32.const 1)))
      (v128.store (local.get $o)
        (f32x4.mul
          (f32x4.mul (local.get $p) (i32x4.shl (i32x4.add (local.get $half) (i32x4.splat (i32.const 127))) (i32.const 23)))
          (i32x4.shl (i32x4.add (i32x4.sub (local.get $ki) (local.get $half)) (i32x4.splat (i32.const 127))) (i32.const 23))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $next)))
  )
)
