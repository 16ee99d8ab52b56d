;; A convolution's filter gradient for the TF.js wasm backend's heap, in WebAssembly SIMD: `Conv2DBackpropFilter` (NHWC).
;;
;; filter(x, dy, dw, scratch, b, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left):
;;   dw[i, j, c, :] = sum over images and output pixels of x[image, oh * sh + i - top, ow * sw + j - left, c] * dy[image, oh, ow, :]
;; x is [b, h, w, ci], dy [b, oh, ow, co] and dw [kh, kw, ci, co], float32, byte offsets into the backend's memory (imported);
;; co is a multiple of 4 (the caller checks). scratch holds kh * kw * ci * (co + 4) floats.
;;
;; How: per output pixel, its patch (the kh * kw * ci inputs under the filter, 0 where the filter hangs over the edge) is
;; copied into a row of scratch; the gradient is then the sum of patch^T * dy-row outer products. Four pixels go at a time,
;; so each accumulator vector is loaded and stored once per four products; the four are added in pixel order, so the sums are
;; the same as one pixel at a time. Each image's sums go into an accumulator and then into dw: float32 sums over one image
;; (~800 terms) and then over the images, instead of one running float32 sum over ~200,000 terms. One pass over x and dy.
;; The route this replaces (wasm-kernels.ts, now the fallback) transposed x and dy and ran a dilated XNNPACK conv that
;; repacked a filter the size of dy on every call.
;;
;; Edit this file, then run `npm run wasm` to regenerate trials/simd/wasm-bytes.ts (test/trials/simd.test.ts checks them).
(module
  (import "env" "memory" (memory 0))
  ;; dst[0 .. n) = 0 (n floats).
  (func $zero (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $next)))
    (block $done1 (loop $next1
      (br_if $done1 (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.const 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $next1))))
  ;; dst[0 .. n) = src[0 .. n) (n floats).
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $dst) (v128.load (local.get $src)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $next)))
    (block $done1 (loop $next1
      (br_if $done1 (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.load (local.get $src)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $next1))))
  ;; The patch of output pixel (y, xo) of the image at ximg into dst: kh * kw rows of ci inputs, zeros outside the image.
  (func $patch (param $dst i32) (param $ximg i32) (param $y i32) (param $xo i32)
    (param $h i32) (param $w i32) (param $ci i32) (param $kh i32) (param $kw i32)
    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $i i32) (local $j i32) (local $ih i32) (local $iw i32)
    (block $rows (loop $row
      (br_if $rows (i32.ge_u (local.get $i) (local.get $kh)))
      (local.set $ih (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (local.get $i)) (local.get $top)))
      (local.set $j (i32.const 0))
      (block $cols (loop $col
        (br_if $cols (i32.ge_u (local.get $j) (local.get $kw)))
        (local.set $iw (i32.sub (i32.add (i32.mul (local.get $xo) (local.get $sw)) (local.get $j)) (local.get $left)))
        ;; unsigned compares also reject negative rows and columns
        (if (i32.and (i32.lt_u (local.get $ih) (local.get $h)) (i32.lt_u (local.get $iw) (local.get $w)))
          (then (call $copy (local.get $dst)
            (i32.add (local.get $ximg)
              (i32.shl (i32.mul (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw)) (local.get $ci)) (i32.const 2)))
            (local.get $ci)))
          (else (call $zero (local.get $dst) (local.get $ci))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $ci) (i32.const 2))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $col)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))
  ;; acc[m, :] += p0[m] * d[0, :] + p1[m] * d[1, :] + p2[m] * d[2, :] + p3[m] * d[3, :] (added in that order) for m < rows;
  ;; the patches are `stride` bytes apart, the dy rows co4 bytes. With `pixels` 1 only p0 and d[0] are used.
  ;; The entries come in taps: kh * kw runs of `rows` floats, run (i, j) at pat + i * xrow + j * xcol (bytes); a copied patch
  ;; is one run (kh = kw = 1), x itself kh * kw runs.
  (func $products (param $acc i32) (param $pat0 i32) (param $stride i32) (param $d i32) (param $co4 i32) (param $rows i32)
    (param $pixels i32) (param $kh i32) (param $kw i32) (param $xrow i32) (param $xcol i32)
    (local $end i32) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $c i32) (local $dp i32)
    (local $a v128) (local $pat i32) (local $i i32) (local $j i32)
    (block $trows (loop $trow
    (br_if $trows (i32.ge_u (local.get $i) (local.get $kh)))
    (local.set $j (i32.const 0))
    (block $tcols (loop $tcol
    (br_if $tcols (i32.ge_u (local.get $j) (local.get $kw)))
    (local.set $pat (i32.add (local.get $pat0)
      (i32.add (i32.mul (local.get $i) (local.get $xrow)) (i32.mul (local.get $j) (local.get $xcol)))))
    (local.set $end (i32.add (local.get $pat) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $pat) (local.get $end)))
      (local.set $x0 (v128.load32_splat (local.get $pat)))
      (local.set $dp (local.get $d))
      (local.set $c (i32.const 0))
      (if (i32.eq (local.get $pixels) (i32.const 4))
        (then
          (local.set $x1 (v128.load32_splat (i32.add (local.get $pat) (local.get $stride))))
          (local.set $x2 (v128.load32_splat (i32.add (local.get $pat) (i32.shl (local.get $stride) (i32.const 1)))))
          (local.set $x3 (v128.load32_splat (i32.add (local.get $pat) (i32.mul (local.get $stride) (i32.const 3)))))
          (block $vecs (loop $vec
            (br_if $vecs (i32.ge_u (local.get $c) (local.get $co4)))
            (local.set $dp (i32.add (local.get $d) (local.get $c)))
            (local.set $a (f32x4.add (v128.load (local.get $acc)) (f32x4.mul (local.get $x0) (v128.load (local.get $dp)))))
            (local.set $dp (i32.add (local.get $dp) (local.get $co4)))
            (local.set $a (f32x4.add (local.get $a) (f32x4.mul (local.get $x1) (v128.load (local.get $dp)))))
            (local.set $dp (i32.add (local.get $dp) (local.get $co4)))
            (local.set $a (f32x4.add (local.get $a) (f32x4.mul (local.get $x2) (v128.load (local.get $dp)))))
            (local.set $dp (i32.add (local.get $dp) (local.get $co4)))
            (v128.store (local.get $acc) (f32x4.add (local.get $a) (f32x4.mul (local.get $x3) (v128.load (local.get $dp)))))
            (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $vec))))
        (else
          (block $vecs1 (loop $vec1
            (br_if $vecs1 (i32.ge_u (local.get $c) (local.get $co4)))
            (v128.store (local.get $acc)
              (f32x4.add (v128.load (local.get $acc)) (f32x4.mul (local.get $x0) (v128.load (i32.add (local.get $d) (local.get $c))))))
            (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $vec1)))))
      (local.set $pat (i32.add (local.get $pat) (i32.const 4)))
      (br $next)))
    (local.set $j (i32.add (local.get $j) (i32.const 1)))
    (br $tcol)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $trow))))
  (func (export "filter")
    (param $x i32) (param $dy i32) (param $dw i32) (param $acc i32)
    (param $b i32) (param $h i32) (param $w i32) (param $ci i32) (param $oh i32) (param $ow i32) (param $co i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $rows i32) (local $n i32) (local $co4 i32) (local $pat i32) (local $stride i32) (local $img i32) (local $ximg i32)
    (local $q i32) (local $pixels i32) (local $g i32) (local $r i32) (local $p i32) (local $end i32) (local $y i32) (local $xo i32)
    (local $ih i32) (local $iw i32)
    (local.set $rows (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $ci)))
    (local.set $n (i32.mul (local.get $rows) (local.get $co)))
    (local.set $co4 (i32.shl (local.get $co) (i32.const 2)))
    (local.set $pat (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $stride (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $pixels (i32.mul (local.get $oh) (local.get $ow)))
    (call $zero (local.get $dw) (local.get $n))
    (block $images (loop $image
      (br_if $images (i32.ge_u (local.get $img) (local.get $b)))
      (local.set $ximg (i32.add (local.get $x)
        (i32.shl (i32.mul (i32.mul (i32.mul (local.get $img) (local.get $h)) (local.get $w)) (local.get $ci)) (i32.const 2))))
      (call $zero (local.get $acc) (local.get $n))
      (local.set $q (i32.const 0))
      (block $groups (loop $group
        (br_if $groups (i32.ge_u (local.get $q) (local.get $pixels)))
        (local.set $y (i32.div_u (local.get $q) (local.get $ow)))
        (local.set $xo (i32.rem_u (local.get $q) (local.get $ow)))
        ;; four pixels of one output row, or one at a time for a row's last few
        (local.set $g (select (i32.const 4) (i32.const 1) (i32.le_u (i32.add (local.get $xo) (i32.const 4)) (local.get $ow))))
        (local.set $ih (i32.sub (i32.mul (local.get $y) (local.get $sh)) (local.get $top)))
        (local.set $iw (i32.sub (i32.mul (local.get $xo) (local.get $sw)) (local.get $left)))
        (if (i32.and
              (i32.and (i32.ge_s (local.get $ih) (i32.const 0)) (i32.le_s (i32.add (local.get $ih) (local.get $kh)) (local.get $h)))
              (i32.and (i32.ge_s (local.get $iw) (i32.const 0))
                (i32.le_s (i32.add (i32.add (local.get $iw) (i32.mul (i32.sub (local.get $g) (i32.const 1)) (local.get $sw)))
                  (local.get $kw)) (local.get $w))))
          (then
            ;; every tap of every pixel inside the image: the patches are x itself, one filter tap (ci inputs) at a time,
            ;; the pixels sw * ci floats apart
            (call $products (local.get $acc)
              (i32.add (local.get $ximg) (i32.shl (i32.mul (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw))
                (local.get $ci)) (i32.const 2)))
              (i32.shl (i32.mul (local.get $sw) (local.get $ci)) (i32.const 2))
              (local.get $dy) (local.get $co4) (local.get $ci) (local.get $g) (local.get $kh) (local.get $kw)
              (i32.shl (i32.mul (local.get $w) (local.get $ci)) (i32.const 2)) (i32.shl (local.get $ci) (i32.const 2))))
          (else
            ;; near the edge: copy each pixel's patch, zeros where the filter hangs over
            (local.set $r (i32.const 0))
            (block $built (loop $build
              (br_if $built (i32.ge_u (local.get $r) (local.get $g)))
              (call $patch (i32.add (local.get $pat) (i32.mul (local.get $r) (local.get $stride))) (local.get $ximg)
                (local.get $y) (i32.add (local.get $xo) (local.get $r))
                (local.get $h) (local.get $w) (local.get $ci) (local.get $kh) (local.get $kw)
                (local.get $sh) (local.get $sw) (local.get $top) (local.get $left))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $build)))
            (call $products (local.get $acc) (local.get $pat) (local.get $stride) (local.get $dy) (local.get $co4) (local.get $rows)
              (local.get $g) (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 0))))
        (local.set $dy (i32.add (local.get $dy) (i32.mul (local.get $g) (local.get $co4))))
        (local.set $q (i32.add (local.get $q) (local.get $g)))
        (br $group)))
      ;; dw += this image's sums
      (local.set $p (i32.const 0))
      (local.set $end (i32.shl (local.get $n) (i32.const 2)))
      (block $added (loop $add
        (br_if $added (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (i32.add (local.get $dw) (local.get $p))
          (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $p))) (v128.load (i32.add (local.get $acc) (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $add)))
      (local.set $img (i32.add (local.get $img) (i32.const 1)))
      (br $image))))
)
