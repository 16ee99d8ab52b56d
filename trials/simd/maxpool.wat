;; MaxPool's gradient for the TF.js wasm backend's heap, in WebAssembly SIMD (four channels at a time), for pools whose
;; windows tile the input exactly (stride = window size, no padding: the sweep's 2x2 / stride 2 pools of even sizes).
;;
;; grad(x, dy, dx, rows, ow, fh, fw, c): x and dx are NHWC inputs of rows*fh rows of ow*fw pixels of c channels (rows =
;; batch * output height); dy is the [rows, ow, c] output gradient. Each window sends its dy to the first maximum in
;; row-major window order (a later position wins only when strictly greater, so NaN never wins) and 0 to the other
;; positions; a window with no maximum above -Infinity passes nothing, as the cpu kernel and trials/wasm-js-kernels.ts do.
;; The windows do not overlap, so every dx element is written exactly once and needs no zeroing first. c must be a
;; positive multiple of 4 (the caller checks). Pointers are byte offsets into the backend's memory, which the module imports.
;;
;; Edit this file, then run `npm run wasm` to regenerate trials/simd/wasm-bytes.ts (test/trials/simd.test.ts checks them).
(module
  (import "env" "memory" (memory 0))
  (func (export "grad") (param $x i32) (param $dy i32) (param $dx i32) (param $rows i32) (param $ow i32) (param $fh i32)
        (param $fw i32) (param $c i32)
    (local $cb i32) (local $rowBytes i32) (local $toDx i32) (local $winRow i32) (local $win i32) (local $col i32)
    (local $j i32) (local $kr i32) (local $kc i32) (local $p i32) (local $at i32)
    (local $best v128) (local $idx v128) (local $g v128) (local $v v128) (local $gt v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $rowBytes (i32.mul (i32.mul (local.get $ow) (local.get $fw)) (local.get $cb)))
    (local.set $toDx (i32.sub (local.get $dx) (local.get $x)))
    (local.set $winRow (local.get $x))
    (block $doneRows (loop $rowLoop
      (br_if $doneRows (i32.eqz (local.get $rows)))
      (local.set $win (local.get $winRow))
      (local.set $col (local.get $ow))
      (block $doneCols (loop $colLoop
        (br_if $doneCols (i32.eqz (local.get $col)))
        (local.set $j (i32.const 0))
        (loop $chanLoop
          ;; Pass 1: the first strict maximum of the window, per lane, and its position p (-1: none).
          (local.set $best (f32x4.splat (f32.const -inf)))
          (local.set $idx (i32x4.splat (i32.const -1)))
          (local.set $p (i32.const 0))
          (local.set $kr (i32.const 0))
          (loop $findRows
            (local.set $at (i32.add (i32.add (local.get $win) (local.get $j)) (i32.mul (local.get $kr) (local.get $rowBytes))))
            (local.set $kc (i32.const 0))
            (loop $findCols
              (local.set $v (v128.load (local.get $at)))
              (local.set $gt (f32x4.gt (local.get $v) (local.get $best)))
              (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
              (local.set $idx (v128.bitselect (i32x4.splat (local.get $p)) (local.get $idx) (local.get $gt)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (local.set $at (i32.add (local.get $at) (local.get $cb)))
              (local.set $kc (i32.add (local.get $kc) (i32.const 1)))
              (br_if $findCols (i32.lt_u (local.get $kc) (local.get $fw))))
            (local.set $kr (i32.add (local.get $kr) (i32.const 1)))
            (br_if $findRows (i32.lt_u (local.get $kr) (local.get $fh))))
          ;; Pass 2: dy at that position, 0 at the others.
          (local.set $g (v128.load (i32.add (local.get $dy) (local.get $j))))
          (local.set $p (i32.const 0))
          (local.set $kr (i32.const 0))
          (loop $putRows
            (local.set $at (i32.add (i32.add (local.get $win) (local.get $j)) (i32.mul (local.get $kr) (local.get $rowBytes))))
            (local.set $kc (i32.const 0))
            (loop $putCols
              (v128.store (i32.add (local.get $at) (local.get $toDx))
                (v128.and (local.get $g) (i32x4.eq (local.get $idx) (i32x4.splat (local.get $p)))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (local.set $at (i32.add (local.get $at) (local.get $cb)))
              (local.set $kc (i32.add (local.get $kc) (i32.const 1)))
              (br_if $putCols (i32.lt_u (local.get $kc) (local.get $fw))))
            (local.set $kr (i32.add (local.get $kr) (i32.const 1)))
            (br_if $putRows (i32.lt_u (local.get $kr) (local.get $fh))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $chanLoop (i32.lt_u (local.get $j) (local.get $cb))))
        (local.set $dy (i32.add (local.get $dy) (local.get $cb)))
        (local.set $win (i32.add (local.get $win) (i32.mul (local.get $fw) (local.get $cb))))
        (local.set $col (i32.sub (local.get $col) (i32.const 1)))
        (br $colLoop)))
      (local.set $winRow (i32.add (local.get $winRow) (i32.mul (local.get $fh) (local.get $rowBytes))))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rowLoop)))
  )
)
