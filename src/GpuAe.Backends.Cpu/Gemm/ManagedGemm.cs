using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace GpuAe.Backends.Cpu;

/// <summary>
/// Managed SIMD GEMM with the BLIS loop structure: C is cut into column blocks (nc) and k into depth
/// blocks (kc); each kc x nc block of op(B) is packed once into micro-panels shared by all threads,
/// then threads take (row block x column chunk) tasks, pack their mc x kc block of op(A) and run
/// one register-blocked micro-kernel of <see cref="MR"/> rows x 2 <see cref="Vector{T}"/>s.
/// An operand reused too little to repay the copy (A when n is narrow, B when m is a few rows, as
/// in the autoencoder and im2col shapes) is read in place instead; the kernel takes strides.
/// <para>
/// Deterministic: k is never split between threads, and every element of C is computed as the same
/// chain of FMAs over k (edge tiles are zero-padded, not handled by other code), so the bits do not
/// depend on the thread count or the schedule. k blocks depend only on k.
/// </para>
/// </summary>
internal static class ManagedGemm
{
    /// <summary>Rows of C per micro-tile. 6 rows x 2 vectors = 12 accumulators, plus 2 B vectors
    /// and one broadcast of A: 15 of the 16 AVX2 registers.</summary>
    internal const int MR = 6;

    /// <summary>Vectors per micro-tile row; the micro-tile is <see cref="MR"/> x NV * Vector&lt;T&gt;.Count.</summary>
    const int NV = 2;

    /// <summary>Largest depth block: a 256 x 16 float B micro-panel (16 KiB) stays in a 32 KiB L1.</summary>
    const int KC = 256;

    /// <summary>Largest row block (multiple of MR): 144 x 256 floats of packed A (144 KiB) stay in L2.</summary>
    const int MC = 144;

    /// <summary>Byte budget of the shared packed B block (kc x nc), meant to sit in L3.</summary>
    const int PanelBytes = 4 << 20;

    /// <summary>Pack B (not transposed) only when more row tiles than this share it.</summary>
    const int PackBMinRows = 4 * MR;

    /// <summary>Pack A only when a task runs it against at least this many B micro-panels.</summary>
    const int PackAMinPanels = 8;

    /// <summary>Below this many multiply-adds a call runs on the calling thread only.</summary>
    const long SerialWork = 1L << 16;

    /// <summary>
    /// C = alpha * op(A) op(B) + beta * C, row-major, using up to <see cref="Environment.ProcessorCount"/>
    /// threads. op(A) is A [m,k] (lda &gt;= k) or Aᵀ with A stored [k,m] (lda &gt;= m); likewise B.
    /// beta = 0 overwrites C without reading it.
    /// </summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Multiply(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc,
            Environment.ProcessorCount);

    /// <summary>As the other overload, with at most <paramref name="threads"/> threads (results are
    /// bit-identical for every thread count).</summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, T[] a, int aOffset, int lda, T[] b, int bOffset, int ldb,
        T beta, T[] c, int cOffset, int ldc, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmArguments.RequireFloatOrDouble<T>();
        GemmArguments.Validate(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == T.Zero)
        {
            GemmArguments.ScaleC(m, n, beta, c, cOffset, ldc);
            return;
        }
        if ((long)m * n * k < SerialWork) threads = 1;
        new Job<T>(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc, threads).Run();
    }

    /// <summary>One GEMM call: its operands, block sizes, packing choices and the per-block task split.</summary>
    sealed unsafe class Job<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static int NR => NV * Vector<T>.Count;

        readonly T[] a, b, c;
        readonly int aOffset, bOffset, cOffset, ldc, m, n, k, threads;
        // Element strides of op(A) along (row, depth) and of op(B) along (column, depth).
        readonly nint aRowStride, aDepthStride, bColStride, bDepthStride;
        readonly T alpha, beta;
        readonly int kcMax, ncMax, mcSize, mBlocks;
        // Packing copies each element once to save strided or TLB-unfriendly reads later; it pays only
        // when the element is reused often. The kernel reads either layout (strides), so unpacked
        // operands skip the copy; only ragged edge panels are always packed, for their zero padding.
        readonly bool packB;
        readonly ParallelOptions options;

        // State of the current (column block, depth block) step, read by the tasks.
        T[] packedB = [];
        int jc, nc, pc, kc, nChunks, panelsPerChunk;
        bool firstDepthBlock;

        public Job(bool transA, bool transB, int m, int n, int k, T alpha, T[] a, int aOffset, int lda,
            T[] b, int bOffset, int ldb, T beta, T[] c, int cOffset, int ldc, int threads)
        {
            (this.m, this.n, this.k, this.alpha, this.beta, this.threads) = (m, n, k, alpha, beta, threads);
            (this.a, this.aOffset, this.b, this.bOffset, this.c, this.cOffset, this.ldc) = (a, aOffset, b, bOffset, c, cOffset, ldc);
            (aRowStride, aDepthStride) = transA ? ((nint)1, (nint)lda) : (lda, 1);
            (bColStride, bDepthStride) = transB ? ((nint)ldb, (nint)1) : (1, ldb);

            // Equal depth blocks (784 -> 3 x ~262, not 256+256+256+16) keep the last one efficient.
            kcMax = CeilDiv(k, CeilDiv(k, KC));
            // A transposed B has no contiguous columns for vector loads: always pack it. Otherwise pack
            // when each B element is reused by enough row tiles (not for the wide-n, few-row im2col GEMMs).
            packB = transB || m > PackBMinRows;
            int ncBudget = Math.Max(NR, PanelBytes / sizeof(T) / kcMax / NR * NR);
            ncMax = packB ? Math.Min(ncBudget, RoundUp(n, NR)) : RoundUp(n, NR);
            mBlocks = CeilDiv(m, MC);
            mcSize = RoundUp(CeilDiv(m, mBlocks), MR);
            options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        }

        public void Run()
        {
            // Unpacked B still packs its ragged last panel, at the start of the buffer.
            packedB = ArrayPool<T>.Shared.Rent(kcMax * (packB ? ncMax : NR));
            try
            {
                for (jc = 0; jc < n; jc += ncMax)
                {
                    nc = Math.Min(ncMax, n - jc);
                    int panels = CeilDiv(nc, NR);
                    // Few row blocks (m = 8, 16, 256): split columns too, so every thread has work,
                    // but keep chunks wide enough that repacking A per chunk stays cheap.
                    int wanted = threads == 1 ? 1 : CeilDiv(4 * threads, mBlocks);
                    nChunks = Math.Clamp(wanted, 1, Math.Max(1, panels / 4));
                    panelsPerChunk = CeilDiv(panels, nChunks);
                    nChunks = CeilDiv(panels, panelsPerChunk);
                    for (pc = 0; pc < k; pc += kc)
                    {
                        kc = Math.Min(kcMax, k - pc);
                        firstDepthBlock = pc == 0;
                        if (packB) For(panels, PackBPanel);
                        else if (nc % NR != 0) PackBPanel(panels - 1);
                        ForTasks(mBlocks * nChunks);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(packedB);
            }
        }

        void For(int count, Action<int> body)
        {
            if (threads == 1 || count == 1)
                for (int i = 0; i < count; i++) body(i);
            else
                Parallel.For(0, count, options, body);
        }

        void ForTasks(int count)
        {
            if (threads == 1 || count == 1)
            {
                T[] buffer = ArrayPool<T>.Shared.Rent(mcSize * kc);
                for (int t = 0; t < count; t++) Compute(t, buffer);
                ArrayPool<T>.Shared.Return(buffer);
                return;
            }
            // One packed-A buffer per worker, not per task.
            Parallel.For(0, count, options,
                () => ArrayPool<T>.Shared.Rent(mcSize * kc),
                (t, _, buffer) => { Compute(t, buffer); return buffer; },
                buffer => ArrayPool<T>.Shared.Return(buffer));
        }

        /// <summary>Packs micro-panel <paramref name="panel"/> (NR columns) of the current kc x nc block of op(B).</summary>
        void PackBPanel(int panel)
        {
            int j0 = panel * NR;
            fixed (T* src = b, dst = packedB)
                Pack(src + bOffset + (jc + j0) * bColStride + pc * bDepthStride, Math.Min(NR, nc - j0), NR,
                    bColStride, bDepthStride, kc, dst + (packB ? (nint)j0 * kc : 0));
        }

        /// <summary>Task t: one row block of C times one chunk of B micro-panels, for the current depth block.</summary>
        void Compute(int t, T[] aBuffer)
        {
            int block = t / nChunks, chunk = t % nChunks;
            int i0 = block * mcSize;
            int rows = Math.Min(mcSize, m - i0);
            if (rows <= 0) return;
            int firstPanel = chunk * panelsPerChunk;
            int lastPanel = Math.Min(CeilDiv(nc, NR), firstPanel + panelsPerChunk);
            T* tile = stackalloc T[MR * NV * Vector<T>.Count];
            bool readC = !firstDepthBlock || beta != T.Zero;
            T betaNow = firstDepthBlock ? beta : T.One;
            // A row panel is reused once per B panel of the chunk; pack it only if that is often.
            bool packA = lastPanel - firstPanel >= PackAMinPanels;

            fixed (T* pa = a, packedA = aBuffer, pb = packedB, pbSource = b, pcBase = c)
            {
                T* aBlock = pa + aOffset + i0 * aRowStride + pc * aDepthStride;
                for (int r = 0; r < rows; r += MR)
                    if (packA || rows - r < MR)
                        Pack(aBlock + r * aRowStride, Math.Min(MR, rows - r), MR,
                            aRowStride, aDepthStride, kc, packedA + (nint)r * kc);

                // Column micro-panel outer: its kc x NR slice of B stays in L1 while A streams from L2.
                for (int q = firstPanel; q < lastPanel; q++)
                {
                    int j = q * NR, cols = Math.Min(NR, nc - j);
                    T* bPanel = packB ? pb + (nint)j * kc : cols < NR ? pb : pbSource + bOffset + pc * bDepthStride + jc + j;
                    nint bStep = packB || cols < NR ? NR : bDepthStride;
                    for (int r = 0; r < rows; r += MR)
                    {
                        int tileRows = Math.Min(MR, rows - r);
                        T* cTile = pcBase + cOffset + (nint)(i0 + r) * ldc + jc + j;
                        bool packed = packA || tileRows < MR;
                        T* aPanel = packed ? packedA + (nint)r * kc : aBlock + r * aRowStride;
                        nint aRow = packed ? 1 : aRowStride, aStep = packed ? MR : aDepthStride;
                        if (tileRows == MR && cols == NR)
                            MicroKernel(kc, aPanel, aRow, aStep, bPanel, bStep, cTile, ldc, alpha, betaNow, readC);
                        else
                        {
                            // Edge tile: same kernel into a scratch tile, then the same per-element
                            // combine, in vectors for full rows (few-row GEMMs are mostly edge rows).
                            MicroKernel(kc, aPanel, aRow, aStep, bPanel, bStep, tile, NR, T.One, T.Zero, false);
                            StoreEdge(tile, cTile, ldc, tileRows, cols, alpha, betaNow, readC);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs <paramref name="lanes"/> (&lt;= width) lanes x <paramref name="depth"/> of a strided matrix
    /// into one micro-panel: dst[p * width + lane], lanes beyond <paramref name="lanes"/> zeroed.
    /// Rows of A and columns of B are both "lanes"; the strides absorb the transposes.
    /// </summary>
    static unsafe void Pack<T>(T* src, int lanes, int width, nint laneStride, nint depthStride, int depth, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count;
        if (laneStride == 1 && lanes == width && width % vc == 0)
        {
            // Contiguous full lanes (B not transposed): whole vectors per depth step.
            for (int p = 0; p < depth; p++, src += depthStride, dst += width)
                for (int v = 0; v < width; v += vc)
                    Vector.Store(Vector.Load(src + v), dst + v);
            return;
        }
        if (laneStride == 1)
        {
            for (int p = 0; p < depth; p++, src += depthStride, dst += width)
            {
                int lane = 0;
                for (; lane < lanes; lane++) dst[lane] = src[lane];
                for (; lane < width; lane++) dst[lane] = T.Zero;
            }
            return;
        }
        // Lanes far apart (rows of A, columns of a transposed B): walk each lane along depth.
        for (int lane = 0; lane < width; lane++)
        {
            T* s = src + lane * laneStride;
            if (lane < lanes)
                for (int p = 0; p < depth; p++) dst[p * width + lane] = s[p * depthStride];
            else
                for (int p = 0; p < depth; p++) dst[p * width + lane] = T.Zero;
        }
    }

    /// <summary>
    /// The micro-kernel: an MR x 2-vector tile of C from A (MR rows, element p of row r at
    /// a[r * aRow + p * aStep]: packed is aRow = 1, aStep = MR) and B (2 contiguous vectors per depth
    /// step, bStep apart): acc = Σp a[p] b[p] as one FMA chain per element, then
    /// C = alpha * acc + (readC ? beta * C : 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void MicroKernel<T>(int kc, T* a, nint aRow, nint aStep, T* b, nint bStep,
        T* c, nint ldc, T alpha, T beta, bool readC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        T* a0 = a, a1 = a + aRow, a2 = a + 2 * aRow, a3 = a + 3 * aRow, a4 = a + 4 * aRow, a5 = a + 5 * aRow;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0, end = kc * aStep; p < end; p += aStep, b += bStep)
        {
            Vector<T> b0 = Vector.Load(b), b1 = Vector.Load(b + w);
            Vector<T> x = new(a0[p]);
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = new(a1[p]);
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = new(a2[p]);
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = new(a3[p]);
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = new(a4[p]);
            c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = new(a5[p]);
            c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        Vector<T> va = new(alpha), vb = new(beta);
        StoreRow(c, w, c00, c01, va, vb, readC);
        StoreRow(c + ldc, w, c10, c11, va, vb, readC);
        StoreRow(c + 2 * ldc, w, c20, c21, va, vb, readC);
        StoreRow(c + 3 * ldc, w, c30, c31, va, vb, readC);
        StoreRow(c + 4 * ldc, w, c40, c41, va, vb, readC);
        StoreRow(c + 5 * ldc, w, c50, c51, va, vb, readC);
    }

    /// <summary>C = alpha * tile + (readC ? beta * C : 0) over the valid rows x cols of an edge tile,
    /// rounding exactly as <see cref="StoreRow"/> does (one FMA per element).</summary>
    static unsafe void StoreEdge<T>(T* tile, T* c, nint ldc, int rows, int cols, T alpha, T beta, bool readC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count, nr = NV * w;
        Vector<T> va = new(alpha), vb = new(beta);
        for (int i = 0; i < rows; i++, tile += nr, c += ldc)
        {
            if (cols == nr)
            {
                StoreRow(c, w, Vector.Load(tile), Vector.Load(tile + w), va, vb, readC);
                continue;
            }
            for (int j = 0; j < cols; j++)
                c[j] = T.FusedMultiplyAdd(alpha, tile[j], readC ? beta * c[j] : T.Zero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void StoreRow<T>(T* c, int w, Vector<T> x0, Vector<T> x1, Vector<T> alpha, Vector<T> beta, bool readC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> p0 = readC ? beta * Vector.Load(c) : Vector<T>.Zero;
        Vector<T> p1 = readC ? beta * Vector.Load(c + w) : Vector<T>.Zero;
        Vector.Store(Fma(alpha, x0, p0), c);
        Vector.Store(Fma(alpha, x1, p1), c + w);
    }

    /// <summary>x * y + z rounded once, for the two element types GEMM supports (the branch folds away).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector<T> Fma<T>(Vector<T> x, Vector<T> y, Vector<T> z)
    {
        if (typeof(T) == typeof(float))
            return Vector.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), z.As<T, float>()).As<float, T>();
        return Vector.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), z.As<T, double>()).As<double, T>();
    }

    static int CeilDiv(int x, int y) => (x + y - 1) / y;

    static int RoundUp(int x, int multiple) => CeilDiv(x, multiple) * multiple;
}
