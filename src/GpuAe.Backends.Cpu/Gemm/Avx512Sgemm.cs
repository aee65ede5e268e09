using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GpuAe.Backends.Cpu.Kernels;

namespace GpuAe.Backends.Cpu;

/// <summary>
/// Float GEMM for CPUs with AVX-512: C = alpha * op(A) op(B) + beta * C, row-major, the <see cref="ICpuGemm"/> contract.
/// <see cref="Avx512CpuGemm"/> (choice "avx512") hands it the float calls it suits; it splits each over the
/// <see cref="CpuParallel"/> workers itself.
/// <para>
/// Why our own: on the 2-core AMD EPYC (Zen 5) this project is measured on, OpenBLAS runs its AVX2 (Haswell)
/// kernels (the environment sets OPENBLAS_CORETYPE=Haswell), about 100 GFLOP/s per core; this kernel reaches
/// 170-210 per core on the dense-layer shapes (benchmarks/results/cpu-gemm-avx512.md).
/// </para>
/// <para>
/// Structure: k is cut into equal depth blocks of at most <see cref="KC"/>. Per depth block a task packs the op(B)
/// columns it computes into <see cref="NR"/>-column micro-panels (zero-padded; B as stored is read in place where a
/// panel is full), then op(A) in row blocks of <see cref="MC"/> into <see cref="MR"/>-row micro-panels, and the
/// micro-kernel runs every (row panel, column panel) pair with the B micro-panel (kc x 32 floats, 32 KiB at kc = 256)
/// held in L1 while A panels stream from L2.
/// </para>
/// <para>
/// Deterministic and split-independent: every element of C is one FMA chain over a depth block in k order, the
/// blocks depend on k only, and edge tiles run the same kernel (zero padding) into a scratch tile. So a row or
/// column block of C computed by its own call has exactly the bits of the whole call.
/// </para>
/// </summary>
internal static unsafe class Avx512Sgemm
{
    /// <summary>Rows per micro-tile: 12 x 2 zmm accumulators, 2 B vectors and a broadcast, 27 of 32 registers.</summary>
    internal const int MR = 12;

    /// <summary>Columns per micro-tile: two 16-float vectors.</summary>
    internal const int NR = 32;

    /// <summary>Largest depth block; a packed B micro-panel (KC x NR floats) then fits the 48 KiB L1.</summary>
    const int KC = 256;

    /// <summary>Rows of op(A) packed at a time (a multiple of MR): 96 x 256 floats, 96 KiB, stay in L2.</summary>
    const int MC = 96;

    /// <summary>True where the kernel runs at full width: AVX-512 present and the JIT uses 512-bit vectors.</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Whether a call of this shape pays off over OpenBLAS: narrow C (n &lt; 64) leaves most of a 32-wide
    /// tile empty, and few rows cannot repay packing B (measured: 0.2-0.35x OpenBLAS at n = 3..24).</summary>
    public static bool Suits(int m, int n) => m >= MR && n >= 2 * NR;

    /// <summary>Below this many multiply-adds a call runs on the calling thread only: a fork costs more.</summary>
    const long SerialWork = 1L << 17;

    /// <summary>Packed operands of the calling thread, reused across calls (pinned: the kernel keeps raw pointers), and
    /// a packed panel of y for <see cref="MultiplyActivationGradient"/>.</summary>
    [ThreadStatic] static float[]? t_packedA, t_packedB, t_packedY;

    /// <summary>C = alpha * op(A) op(B) + beta * C on the calling thread; arguments as <see cref="ICpuGemm"/>, already
    /// validated, with m, n, k &gt; 0 and alpha != 0. beta = 0 overwrites C without reading it.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc)
        => Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads: 1, rowsDone: null);

    /// <summary>
    /// As the other overload, on up to <paramref name="threads"/> <see cref="CpuParallel"/> threads, each computing a
    /// block of rows (and, for few rows, of columns) of C over all of k. <paramref name="rowsDone"/> as in
    /// <see cref="ICpuGemm.Multiply{T}"/>. The bits do not depend on the thread count.
    /// </summary>
    /// <remarks>Each thread packs the op(B) panels it uses itself, even where threads share them: packing B once
    /// together, then reading the other core's half, took 1.2-2x the time on the 2-vCPU VM (cross-core traffic costs
    /// more than the copy).</remarks>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, int threads, Action<int, int>? rowsDone) =>
        new Call(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, rowsDone).Run();

    /// <summary>
    /// C = op(dz) op(B) with dz = dy * f'(y) (<see cref="IBackend.GemmActivationGradient"/>): dy is the A operand,
    /// <paramref name="y"/> has its layout, and dz is formed on the packed panels, never stored whole. Each element of
    /// dz is <see cref="ActivationKernels.Backward{T}"/>'s, so C has the bits of that pass followed by
    /// <see cref="Multiply(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int, int, Action{int, int}?)"/>.
    /// <paramref name="y"/> is not read for <see cref="Activation.Linear"/> (dz is dy). <paramref name="rowSums"/>
    /// (op(dz) = dzᵀ only, i.e. <paramref name="transA"/>) receives the row sums of op(dz), the column sums of dz, added
    /// in k order from the packed panels: the order, and so the bits, of <see cref="ReduceKernels.BiasGradient{T}"/>
    /// per column.
    /// </summary>
    public static void MultiplyActivationGradient(bool transA, bool transB, int m, int n, int k, Activation activation,
        float* y, float* dy, int lda, float* b, int ldb, float* c, int ldc, float* rowSums, int threads)
    {
        if (rowSums != null && !transA) throw new ArgumentException("Row sums are summed in k order only for op(dz) = dzᵀ.", nameof(rowSums));
        if (y == null && activation != Activation.Linear) throw new ArgumentNullException(nameof(y), $"{activation} needs y for its derivative");
        new Call(transA, transB, m, n, k, 1f, dy, lda, b, ldb, 0f, c, ldc, threads, rowsDone: null, activation, y, rowSums).Run();
    }

    /// <summary>One call: its operands and its split into tasks (row block x column chunk).</summary>
    sealed class Call
    {
        readonly float* a, b, c, y, rowSums;
        readonly Activation activation;
        // The A panels become dz = dy * f'(y) (and feed rowSums): a dense layer's gradient GEMM.
        readonly bool activationGradient;
        readonly nint aRow, aDepth, bCol, bDepth, ldc;
        readonly int m, n, k, kcMax, panels, rowTiles, rowBlocks, columnChunks;
        readonly float alpha, beta;
        readonly Action<int, int>? rowsDone;

        public Call(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
            float* b, int ldb, float beta, float* c, int ldc, int threads, Action<int, int>? rowsDone,
            Activation activation = Activation.Linear, float* y = null, float* rowSums = null)
        {
            if (!IsSupported) throw new PlatformNotSupportedException("Avx512Sgemm needs AVX-512 (Avx512F and 512-bit Vector512).");
            if ((long)m * n * k < SerialWork) threads = 1;
            this.activation = activation;
            this.y = y;
            this.rowSums = rowSums;
            activationGradient = activation != Activation.Linear || rowSums != null;
            (this.m, this.n, this.k, this.alpha, this.beta, this.ldc, this.rowsDone) = (m, n, k, alpha, beta, ldc, rowsDone);
            this.a = a;
            this.b = b;
            this.c = c;
            // Element strides of op(A) along (row, depth) and of op(B) along (column, depth).
            (aRow, aDepth) = transA ? ((nint)1, (nint)lda) : (lda, 1);
            (bCol, bDepth) = transB ? ((nint)ldb, (nint)1) : (1, ldb);
            // Equal depth blocks (784 -> 3 x 262, not 256 + 256 + 256 + 16): the last one is as efficient as the rest.
            kcMax = CeilDiv(k, CeilDiv(k, KC));
            panels = CeilDiv(n, NR);
            rowTiles = CeilDiv(m, MR);
            // Rows first, at least two tiles a block (a row block's epilogue then runs where its rows are cached);
            // columns for the threads rows cannot feed.
            rowBlocks = Math.Clamp(rowTiles / 2, 1, Math.Max(1, threads));
            columnChunks = Math.Clamp(Math.Max(1, threads) / rowBlocks, 1, panels);
        }

        public void Run()
        {
            int tasks = rowBlocks * columnChunks;
            if (tasks == 1) Compute(0, 1);
            else CpuParallel.For(tasks, 1, Compute);
            // Column chunks finish a row only together: the epilogue runs once all are done.
            if (columnChunks > 1) rowsDone?.Invoke(0, m);
        }

        void Compute(int firstTask, int endTask)
        {
            for (int task = firstTask; task < endTask; task++)
            {
                int block = task / columnChunks, chunk = task % columnChunks;
                int r0 = rowTiles * block / rowBlocks * MR, r1 = Math.Min(m, rowTiles * (block + 1) / rowBlocks * MR);
                int q0 = panels * chunk / columnChunks, q1 = panels * (chunk + 1) / columnChunks;
                Compute(r0, r1, q0, q1);
                if (columnChunks == 1) rowsDone?.Invoke(r0, r1);
            }
        }

        /// <summary>Packs rows [row, row + rows) x depth [pc, pc + kc) of op(A) into one micro-panel; for a gradient
        /// GEMM turns it into dz = dy * f'(y), the unfused pass's element-wise rule, and, when <paramref name="sumRows"/>
        /// (column chunk 0: once per row), adds it to the row sums, carried over the depth blocks in k order.</summary>
        void PackAPanel(int row, int rows, int pc, int kc, float* panel, float* packedY, bool sumRows)
        {
            nint at = row * aRow + pc * aDepth;
            PackA(a + at, rows, aRow, aDepth, kc, panel);
            if (!activationGradient) return;
            var dz = new Span<float>(panel, MR * kc);
            if (activation != Activation.Linear)
            {
                PackA(y + at, rows, aRow, aDepth, kc, packedY);
                ActivationKernels.BackwardSpan(activation, ActivationParameters.Default, new ReadOnlySpan<float>(packedY, MR * kc), dz, dz);
            }
            if (rowSums != null && sumRows) AddRowSums(dz, rows, rowSums + row, clear: pc == 0);
        }

        /// <summary>Whether column panel q of op(B) is read where it is stored: B not transposed, a full panel.</summary>
        bool InPlace(int q) => bCol == 1 && (q + 1) * NR <= n;

        /// <summary>Rows [r0, r1) x column panels [q0, q1) of C.</summary>
        void Compute(int r0, int r1, int q0, int q1)
        {
            float* packedB = Aligned(ref t_packedB, kcMax * (q1 - q0) * NR);
            float* packedA = Aligned(ref t_packedA, kcMax * MC);
            float* packedY = activation == Activation.Linear ? null : Aligned(ref t_packedY, kcMax * MR);
            float* tile = stackalloc float[MR * NR];
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                // The first depth block applies beta; later ones add to what it left in C.
                bool readC = pc > 0 || beta != 0f;
                float betaNow = pc > 0 ? 1f : beta;
                for (int q = q0; q < q1; q++)
                    if (!InPlace(q))
                        PackB(b + pc * bDepth + q * NR * bCol, Math.Min(NR, n - q * NR), bCol, bDepth, kc, packedB + (nint)(q - q0) * NR * kc);
                for (int ic = r0; ic < r1; ic += MC)
                {
                    int mc = Math.Min(MC, r1 - ic);
                    for (int r = 0; r < mc; r += MR)
                        PackAPanel(ic + r, Math.Min(MR, mc - r), pc, kc, packedA + (nint)r * kc, packedY, sumRows: q0 == 0);
                    for (int q = q0; q < q1; q++)
                    {
                        int cols = Math.Min(NR, n - q * NR);
                        bool inPlace = InPlace(q);
                        float* bPanel = inPlace ? b + pc * bDepth + q * NR : packedB + (nint)(q - q0) * NR * kc;
                        nint bStep = inPlace ? bDepth : NR;
                        for (int r = 0; r < mc; r += MR)
                        {
                            int rows = Math.Min(MR, mc - r);
                            float* cTile = c + (ic + r) * ldc + q * NR;
                            if (rows == MR && cols == NR)
                                MicroKernel(kc, packedA + (nint)r * kc, bPanel, bStep, cTile, ldc, alpha, betaNow, readC);
                            else
                            {
                                MicroKernel(kc, packedA + (nint)r * kc, bPanel, bStep, tile, NR, 1f, 0f, false);
                                StoreEdge(tile, cTile, ldc, rows, cols, alpha, betaNow, readC);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>sums[r] (+)= Σp panel[p * MR + r] for the first <paramref name="rows"/> rows, p in order.</summary>
    static void AddRowSums(ReadOnlySpan<float> panel, int rows, float* sums, bool clear)
    {
        if (clear) new Span<float>(sums, rows).Clear();
        for (int p = 0; p < panel.Length; p += MR)
            for (int r = 0; r < rows; r++) sums[r] += panel[p + r];
    }

    /// <summary>A 64-byte aligned view of this thread's buffer of at least <paramref name="floats"/> elements.</summary>
    static float* Aligned(ref float[]? buffer, int floats)
    {
        if (buffer is null || buffer.Length < floats + 16)
            buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref buffer[0]);
        return (float*)((start + 63) & ~(nint)63);
    }

    /// <summary>Packs <paramref name="cols"/> (&lt;= NR) columns x kc of op(B) into dst[p * NR + j], zero beyond cols. B as
    /// stored comes here only for its ragged last panel: its full panels are read in place.</summary>
    static void PackB(float* src, int cols, nint colStride, nint depthStride, int kc, float* dst)
    {
        if (depthStride == 1 && cols == NR) // Bᵀ stored: transpose 8 x 8 blocks
        {
            int p = 0;
            for (; p + 8 <= kc; p += 8)
                for (int j = 0; j < NR; j += 8)
                    Transpose8x8(src + j * colStride + p, colStride, dst + p * NR + j, NR);
            for (; p < kc; p++)
                for (int j = 0; j < NR; j++) dst[p * NR + j] = src[j * colStride + p];
            return;
        }
        for (int p = 0; p < kc; p++, dst += NR)
        {
            int j = 0;
            for (; j < cols; j++) dst[j] = src[j * colStride + p * depthStride];
            for (; j < NR; j++) dst[j] = 0f;
        }
    }

    /// <summary>Packs <paramref name="rows"/> (&lt;= MR) rows x kc of op(A) into dst[p * MR + r], zero beyond rows.</summary>
    static void PackA(float* src, int rows, nint rowStride, nint depthStride, int kc, float* dst)
    {
        if (rowStride == 1 && rows == MR) // Aᵀ stored: 12 contiguous floats per depth step
        {
            for (int p = 0; p < kc; p++, src += depthStride, dst += MR)
            {
                Vector256.Store(Vector256.Load(src), dst);
                Vector128.Store(Vector128.Load(src + 8), dst + 8);
            }
            return;
        }
        if (depthStride == 1 && rows == MR) // A as stored: transpose rows 0-7 and 8-11 in blocks
        {
            int p = 0;
            for (; p + 8 <= kc; p += 8)
            {
                Transpose8x8(src + p, rowStride, dst + p * MR, MR);
                Transpose4x4(src + 8 * rowStride + p, rowStride, dst + p * MR + 8, MR);
                Transpose4x4(src + 8 * rowStride + p + 4, rowStride, dst + (p + 4) * MR + 8, MR);
            }
            for (; p < kc; p++)
                for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r * rowStride + p];
            return;
        }
        for (int p = 0; p < kc; p++, dst += MR)
        {
            int r = 0;
            for (; r < rows; r++) dst[r] = src[r * rowStride + p * depthStride];
            for (; r < MR; r++) dst[r] = 0f;
        }
    }

    /// <summary>dst[i * dstStride + j] = src[j * srcStride + i] for i, j &lt; 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Vector256.Load(src), r1 = Vector256.Load(src + srcStride),
            r2 = Vector256.Load(src + 2 * srcStride), r3 = Vector256.Load(src + 3 * srcStride),
            r4 = Vector256.Load(src + 4 * srcStride), r5 = Vector256.Load(src + 5 * srcStride),
            r6 = Vector256.Load(src + 6 * srcStride), r7 = Vector256.Load(src + 7 * srcStride);
        // Interleave pairs of rows, then pairs of pairs: each 128-bit lane then holds a 4 x 4 block's column.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE),
            u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE),
            u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE),
            u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Low lanes of rows 0-3 with low lanes of rows 4-7 are columns 0-3; high lanes are columns 4-7.
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x20), dst);
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x20), dst + dstStride);
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x20), dst + 2 * dstStride);
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x20), dst + 3 * dstStride);
        Vector256.Store(Avx.Permute2x128(u0, u4, 0x31), dst + 4 * dstStride);
        Vector256.Store(Avx.Permute2x128(u1, u5, 0x31), dst + 5 * dstStride);
        Vector256.Store(Avx.Permute2x128(u2, u6, 0x31), dst + 6 * dstStride);
        Vector256.Store(Avx.Permute2x128(u3, u7, 0x31), dst + 7 * dstStride);
    }

    /// <summary>dst[i * dstStride + j] = src[j * srcStride + i] for i, j &lt; 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose4x4(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector128<float> r0 = Vector128.Load(src), r1 = Vector128.Load(src + srcStride),
            r2 = Vector128.Load(src + 2 * srcStride), r3 = Vector128.Load(src + 3 * srcStride);
        Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1), t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
        Vector128.Store(Sse.MoveLowToHigh(t0, t2), dst);
        Vector128.Store(Sse.MoveHighToLow(t2, t0), dst + dstStride);
        Vector128.Store(Sse.MoveLowToHigh(t1, t3), dst + 2 * dstStride);
        Vector128.Store(Sse.MoveHighToLow(t3, t1), dst + 3 * dstStride);
    }

    /// <summary>
    /// The micro-kernel: a 12 x 32 tile of C from a packed A panel (a[p * MR + r]) and a packed B panel
    /// (b[p * NR + j]): acc = Σp a[p] b[p] as one FMA chain per element, then C = alpha * acc + (readC ? beta * C : 0)
    /// rounded once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MicroKernel(int kc, float* a, float* b, nint bStep, float* c, nint ldc, float alpha, float beta, bool readC)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++, a += MR, b += bStep)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            Vector512<float> x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            x = Vector512.Create(a[8]);
            c80 = Vector512.FusedMultiplyAdd(x, b0, c80); c81 = Vector512.FusedMultiplyAdd(x, b1, c81);
            x = Vector512.Create(a[9]);
            c90 = Vector512.FusedMultiplyAdd(x, b0, c90); c91 = Vector512.FusedMultiplyAdd(x, b1, c91);
            x = Vector512.Create(a[10]);
            cA0 = Vector512.FusedMultiplyAdd(x, b0, cA0); cA1 = Vector512.FusedMultiplyAdd(x, b1, cA1);
            x = Vector512.Create(a[11]);
            cB0 = Vector512.FusedMultiplyAdd(x, b0, cB0); cB1 = Vector512.FusedMultiplyAdd(x, b1, cB1);
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        StoreRow(c, c00, c01, va, vb, readC);
        StoreRow(c + ldc, c10, c11, va, vb, readC);
        StoreRow(c + 2 * ldc, c20, c21, va, vb, readC);
        StoreRow(c + 3 * ldc, c30, c31, va, vb, readC);
        StoreRow(c + 4 * ldc, c40, c41, va, vb, readC);
        StoreRow(c + 5 * ldc, c50, c51, va, vb, readC);
        StoreRow(c + 6 * ldc, c60, c61, va, vb, readC);
        StoreRow(c + 7 * ldc, c70, c71, va, vb, readC);
        StoreRow(c + 8 * ldc, c80, c81, va, vb, readC);
        StoreRow(c + 9 * ldc, c90, c91, va, vb, readC);
        StoreRow(c + 10 * ldc, cA0, cA1, va, vb, readC);
        StoreRow(c + 11 * ldc, cB0, cB1, va, vb, readC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> alpha, Vector512<float> beta, bool readC)
    {
        Vector512<float> p0 = readC ? beta * Vector512.Load(c) : Vector512<float>.Zero;
        Vector512<float> p1 = readC ? beta * Vector512.Load(c + 16) : Vector512<float>.Zero;
        Vector512.Store(Vector512.FusedMultiplyAdd(alpha, x0, p0), c);
        Vector512.Store(Vector512.FusedMultiplyAdd(alpha, x1, p1), c + 16);
    }

    /// <summary>The valid rows x cols of an edge tile into C, rounded exactly as <see cref="StoreRow"/> rounds.</summary>
    static void StoreEdge(float* tile, float* c, nint ldc, int rows, int cols, float alpha, float beta, bool readC)
    {
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        for (int i = 0; i < rows; i++, tile += NR, c += ldc)
        {
            if (cols == NR)
            {
                StoreRow(c, Vector512.Load(tile), Vector512.Load(tile + 16), va, vb, readC);
                continue;
            }
            for (int j = 0; j < cols; j++)
                c[j] = MathF.FusedMultiplyAdd(alpha, tile[j], readC ? beta * c[j] : 0f);
        }
    }

    static int CeilDiv(int x, int y) => (x + y - 1) / y;
}
