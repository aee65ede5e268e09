namespace GpuAe.Backends;

/// <summary>
/// The kernel ABI: everything the graph executor asks of a device. CPU, OpenCL and CUDA implement
/// the same methods with the same semantics; the CPU backend is the reference the others are tested
/// against. Matrices are row-major. All <see cref="BufferView"/>s are in elements. Each kernel says
/// whether it <b>overwrites</b> or <b>accumulates into</b> its output. Kernels are enqueued in order
/// on the backend's stream; only <see cref="Download(BufferView, Span{float})"/> and
/// <see cref="Synchronize"/> wait for the device. Reductions use a fixed order (no atomics), so the
/// same inputs give the same bits on the same backend.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Short backend name: "cpu", "opencl", "cuda".</summary>
    string Name { get; }

    /// <summary>Human-readable device description (name, cores or compute units, GEMM provider ...).</summary>
    string DeviceName { get; }

    /// <summary>Size in bytes of one <see cref="ElementType.Real"/> element.</summary>
    int RealSize { get; }

    DeviceBuffer Allocate(long length, ElementType type = ElementType.Real);

    void Upload(BufferView destination, ReadOnlySpan<float> source);
    void Upload(BufferView destination, ReadOnlySpan<double> source);
    void Upload(BufferView destination, ReadOnlySpan<int> source);
    void Download(BufferView source, Span<float> destination);
    void Download(BufferView source, Span<double> destination);
    void Download(BufferView source, Span<int> destination);

    /// <summary>Waits until every enqueued kernel has finished.</summary>
    void Synchronize();

    // ---- fill / copy / axpy -------------------------------------------------------------------

    /// <summary>x[i] = value. Overwrites.</summary>
    void Fill(BufferView x, float value);

    /// <summary>destination = source. Overwrites. Views must not overlap.</summary>
    void Copy(BufferView source, BufferView destination);

    /// <summary>y += alpha * x. Accumulates.</summary>
    void Axpy(float alpha, BufferView x, BufferView y);

    /// <summary>x *= alpha. In place.</summary>
    void Scale(BufferView x, float alpha);

    /// <summary>noise[i] = clamp(clean[i] + factor * noise[i], min, max): turns noise drawn by <see cref="Random"/>
    /// into a corrupted copy of <paramref name="clean"/> kept in the data range (denoising autoencoders).
    /// Overwrites <paramref name="noise"/>; min &lt;= max.</summary>
    void AddClampedNoise(BufferView clean, float factor, BufferView noise, float min, float max);

    // ---- GEMM ---------------------------------------------------------------------------------

    /// <summary>
    /// C[m,n] = act(alpha * op(A)[m,k] op(B)[k,n] + beta * C[m,n] + bias). op(A) is A (lda &gt;= k) or
    /// Aᵀ where A is [k, m] (lda &gt;= m); likewise B. Bias has n elements (<see cref="BiasMode.PerColumn"/>)
    /// or m (<see cref="BiasMode.PerRow"/>). Overwrites C when beta = 0, accumulates otherwise.
    /// </summary>
    void Gemm(Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, BufferView a, int lda, BufferView b, int ldb,
        float beta, BufferView c, int ldc,
        BiasMode biasMode = BiasMode.None, BufferView? bias = null, Activation activation = Activation.Linear);

    /// <summary>
    /// A dense layer's gradient GEMM with the activation backward applied on A's loads (no dz buffer, no activation
    /// launch): C[m,n] = op(dz)[m,k] op(B)[k,n] with dz = dy * f'(y) elementwise, dz laid out as <see cref="Gemm"/>'s A
    /// (dy and y share the layout and <paramref name="lda"/>; f with the fixed parameters of
    /// <see cref="ActivationParameters.Default"/>, written through y as <see cref="ActivationBackward"/>; every
    /// <see cref="Activation"/>, <see cref="Activation.Linear"/> giving dz = dy without reading y, which may then be empty).
    /// When <paramref name="rowSums"/> is given (m elements) it also writes rowSums[i] = Σ_k op(dz)[i][k], k in order:
    /// with op(dz) = dzᵀ that is the bias gradient Σ_rows dz of dW = dzᵀ x, taken from the values the GEMM loads anyway.
    /// alpha = 1, beta = 0: overwrites C and rowSums; neither may alias an input. Same values as
    /// <see cref="ActivationBackward"/> (or <see cref="ActivationBackwardBias"/>) into a dz buffer, then <see cref="Gemm"/>
    /// (and <see cref="RowSums"/> or <see cref="BiasGradient"/>), within float rounding: the CPU backend runs exactly that.
    /// </summary>
    void GemmActivationGradient(Transpose transA, Transpose transB, int m, int n, int k, Activation activation,
        BufferView y, BufferView dy, int lda, BufferView b, int ldb, BufferView c, int ldc, BufferView? rowSums = null);

    /// <summary>
    /// A forward GEMM whose A rows are gathered on load: C[m,n] = act(X op(B) + bias) with X[i, :] = source[indices[i], 0..k)
    /// (source rows of k elements, indices an Int32 view of m entries), bias and activation as <see cref="Gemm"/>'s
    /// (alpha = 1, beta = 0). Also writes X to <paramref name="gathered"/> [m, k] (the batch the rest of the step reads).
    /// The same values as <see cref="GatherRows"/> then <see cref="Gemm"/> in one launch. Overwrites C and gathered.
    /// </summary>
    void GemmGatherRows(Transpose transB, int m, int n, int k, BufferView source, BufferView indices, BufferView gathered,
        BufferView b, int ldb, BufferView c, int ldc, BiasMode biasMode = BiasMode.None, BufferView? bias = null,
        Activation activation = Activation.Linear);

    /// <summary>Sums dy [rows, cols] to the bias gradient: over rows (PerColumn, cols outputs) or
    /// over columns (PerRow, rows outputs). Overwrites, or accumulates when <paramref name="accumulate"/>.</summary>
    void BiasGradient(BiasMode mode, int rows, int cols, BufferView dy, BufferView dbias, bool accumulate);

    /// <summary>A dense layer's activation backward and bias gradient in one pass: dz = dy * f'(y) over [rows, cols]
    /// (the fixed parameters of the fused activations, <see cref="ActivationParameters.Default"/>) and
    /// dbias[c] = Σ_r dz[r, c], rows in order: the same values as <see cref="ActivationBackward"/> then
    /// <see cref="BiasGradient"/> (PerColumn). Overwrites dz and dbias; dz may alias dy.</summary>
    void ActivationBackwardBias(Activation activation, int rows, int cols, BufferView y, BufferView dy, BufferView dz, BufferView dbias);

    // ---- activations --------------------------------------------------------------------------

    /// <summary>y = f(x) with the activation's <paramref name="parameters"/> (see <see cref="ActivationParameters"/>;
    /// <see cref="ActivationParameters.Default"/> gives the fused activations' values). Overwrites; x and y may be the same view.</summary>
    void ActivationForward(Activation activation, in ActivationParameters parameters, BufferView x, BufferView y);

    /// <summary>dx = dy * f'(x) written through y = f(x) (the same <paramref name="parameters"/> as the forward pass).
    /// Overwrites; dx may alias dy.</summary>
    void ActivationBackward(Activation activation, in ActivationParameters parameters, BufferView y, BufferView dy, BufferView dx);

    /// <summary>y[n, c, i] = f(x[n, c, i] + bias[c]) (f with the fixed parameters of <see cref="ActivationParameters.Default"/>) over NCHW data [batch, channels, plane] (plane = H*W): the
    /// per-channel bias and activation of a layer whose output comes from a col2im rather than a GEMM epilogue
    /// (transposed convolution). Overwrites; x and y may be the same view.</summary>
    void ChannelBiasActivation(Activation activation, int batch, int channels, int plane, BufferView x, BufferView bias, BufferView y);

    // ---- convolution by im2col ----------------------------------------------------------------

    /// <summary>x [batch, C, H, W] -> columns [C*KH*KW, batch*OH*OW] (column = (image, oy, ox)).
    /// Padding reads as zero. Overwrites.</summary>
    void Im2Col(ConvGeometry g, int batch, BufferView x, BufferView columns);

    /// <summary>Adjoint of <see cref="Im2Col"/>: each input element gathers the column entries that
    /// read it (no atomics). Overwrites dx [batch, C, H, W].</summary>
    void Col2Im(ConvGeometry g, int batch, BufferView columns, BufferView dx);

    /// <summary>Swaps the two leading axes: source [a, b, inner] -> destination [b, a, inner]
    /// (CNHW &lt;-&gt; NCHW after a batched convolution GEMM). Overwrites.</summary>
    void SwapLeadingAxes(int a, int b, int inner, BufferView source, BufferView destination);

    // ---- direct convolution -------------------------------------------------------------------

    /// <summary>
    /// Whether this backend computes a convolution of geometry <paramref name="g"/> with <paramref name="filters"/>
    /// outputs faster through <see cref="ConvForward"/>, <see cref="ConvBackwardData"/> and <see cref="ConvBackwardFilter"/>
    /// than through im2col + GEMM (a per-backend choice; both paths give the same values within float rounding and
    /// every backend implements both for every geometry). Pure: the same arguments give the same answer.
    /// </summary>
    bool PrefersDirectConvolution(ConvGeometry g, int filters);

    /// <summary>
    /// y[n, f, oy, ox] = act(bias[f] + Σ_{c,ky,kx} w[f, c, ky, kx] · x[n, c, oy·StrideH − PadTop + ky·DilationH, ox·StrideW − PadLeft + kx·DilationW])
    /// with padding read as zero; x [batch, C, H, W], w [filters, C, KH, KW], bias [filters], y [batch, filters, OH, OW] (NCHW).
    /// The activation uses <see cref="ActivationParameters.Default"/> as the GEMM epilogue does. Overwrites y.
    /// </summary>
    void ConvForward(ConvGeometry g, int batch, int filters, BufferView x, BufferView w, BufferView bias, Activation activation, BufferView y);

    /// <summary>
    /// Adjoint of <see cref="ConvForward"/> with respect to x, through the activation: with dz = dy · f'(y)
    /// (y the forward output, f with <see cref="ActivationParameters.Default"/>; <see cref="Activation.Linear"/> gives dz = dy),
    /// dx[n, c, iy, ix] = Σ over the (f, ky, kx, oy, ox) whose tap reads (iy, ix) of w[f, c, ky, kx] · dz[n, f, oy, ox].
    /// Each input gathers its terms in a fixed order (no atomics). Overwrites dx [batch, C, H, W].
    /// </summary>
    void ConvBackwardData(ConvGeometry g, int batch, int filters, Activation activation, BufferView y, BufferView dy, BufferView w, BufferView dx);

    /// <summary>
    /// The parameter gradients of <see cref="ConvForward"/>, through the activation (dz = dy · f'(y) as in
    /// <see cref="ConvBackwardData"/>): dw[f, c, ky, kx] = Σ_{n,oy,ox} dz[n, f, oy, ox] · x[n, c, tap], db[f] = Σ_{n,oy,ox} dz[n, f, oy, ox].
    /// Sums run in an order fixed by the shapes alone (not the thread count). Overwrites dw [filters, C, KH, KW] and db [filters].
    /// </summary>
    void ConvBackwardFilter(ConvGeometry g, int batch, int filters, Activation activation, BufferView x, BufferView y, BufferView dy, BufferView dw, BufferView db);

    // ---- pooling and upsampling ---------------------------------------------------------------

    /// <summary>Max over each window of each of <paramref name="planes"/> planes. Stores the argmax
    /// (flat index inside its plane, -1 if the window only covers padding) into an Int32 view. Overwrites.</summary>
    void MaxPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y, BufferView argmax);

    /// <summary>dx[i] = sum of dy over the windows whose argmax is i (gather, no atomics). Overwrites.</summary>
    void MaxPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView argmax, BufferView dx);

    /// <summary>Mean over each window: padding adds zero to the sum, the divisor is <see cref="PoolGeometry.AverageDivisor"/>
    /// (PyTorch's avg_pool2d with count_include_pad = <see cref="PoolGeometry.CountPadding"/>). Overwrites.</summary>
    void AvgPoolForward(PoolGeometry g, int planes, BufferView x, BufferView y);

    /// <summary>Adjoint of <see cref="AvgPoolForward"/> (gather). Overwrites.</summary>
    void AvgPoolBackward(PoolGeometry g, int planes, BufferView dy, BufferView dx);

    /// <summary>Nearest-neighbour upsampling of planes H x W by integer factors. Overwrites.</summary>
    void UpsampleNearestForward(int planes, int height, int width, int scaleH, int scaleW, BufferView x, BufferView y);

    /// <summary>dx = sum of dy over each scaleH x scaleW block (gather). Overwrites.</summary>
    void UpsampleNearestBackward(int planes, int height, int width, int scaleH, int scaleW, BufferView dy, BufferView dx);

    /// <summary>Bilinear resampling of planes H x W to outHeight x outWidth as PyTorch's interpolate(mode="bilinear",
    /// align_corners) computes it (source coordinates from <see cref="Bilinear.Ratio"/>, see kernels/opencl/upsample.cl). Overwrites.</summary>
    void UpsampleBilinearForward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView x, BufferView y);

    /// <summary>Adjoint of <see cref="UpsampleBilinearForward"/>: each input gathers the weighted dy of the outputs
    /// that read it (no atomics). Overwrites dx [planes, height, width].</summary>
    void UpsampleBilinearBackward(int planes, int height, int width, int outHeight, int outWidth, bool alignCorners, BufferView dy, BufferView dx);

    // ---- fused loss + gradient ----------------------------------------------------------------

    /// <summary>
    /// One pass over prediction p and target t (same length): loss[0] (=, or += when
    /// <paramref name="accumulateLoss"/>) scale * Σ l(p_i, t_i), and, when <paramref name="gradient"/>
    /// is given, gradient_i = scale * ∂l/∂p_i (overwrites). For BCE, p are logits. The sum runs in a
    /// fixed order. scale = 1/(rows*cols) gives the mean, 1/rows the per-sample sum. The gradient must
    /// not alias the prediction or the target.
    /// </summary>
    void Loss(LossKind kind, BufferView prediction, BufferView target, float scale,
        BufferView loss, bool accumulateLoss, BufferView? gradient);

    /// <summary>
    /// <see cref="Loss"/> with its whole reduction in one launch: adds scale * Σ l(p_i, t_i) into
    /// <paramref name="lanes"/> (at least one), each lane the sum of a fixed share of the elements, so the loss is the
    /// sum of the lanes (taken by the reader, e.g. once per epoch); <b>accumulates</b> into the lanes (zero them first).
    /// The gradient as <see cref="Loss"/>'s (overwrites). Which lane gets which share depends on the backend and the
    /// lengths only: the same call gives the same bits. The CPU backend adds everything to lane 0, exactly as
    /// <see cref="Loss"/> with accumulation.
    /// </summary>
    void LossLanes(LossKind kind, BufferView prediction, BufferView target, float scale, BufferView lanes, BufferView? gradient);

    // ---- penalties on the code (sparse and contractive autoencoders) -----------------------------

    /// <summary>
    /// Activity penalty on a code h [batch, units] and its gradient, in one pass.
    /// <see cref="ActivityPenaltyKind.L1"/>: P = strength/batch · Σ_{b,j} |h_bj| (Keras' l1 activity regularizer: a
    /// per-sample penalty averaged over the batch); ∂P/∂h = strength/batch · sign(h), 0 at 0.
    /// <see cref="ActivityPenaltyKind.KlSparsity"/> (h in (0,1), a sigmoid code): ρ̂_j = Σ_b h_bj / batch, clamped to
    /// [<see cref="PenaltyConstants.KlClamp"/>, 1 - KlClamp]; P = strength · Σ_j [ρ log(ρ/ρ̂_j) + (1-ρ) log((1-ρ)/(1-ρ̂_j))];
    /// ∂P/∂h_bj = strength/batch · ((1-ρ)/(1-ρ̂_j) - ρ/ρ̂_j). <paramref name="rho"/> is ignored for L1.
    /// <b>Accumulates</b>: loss[0] += P and, when given, dh += ∂P/∂h (on top of the gradient from the layers above).
    /// Fixed-order sums, no atomics; dh must not alias h.
    /// </summary>
    void ActivityPenalty(ActivityPenaltyKind kind, int batch, int units, BufferView h, float strength, float rho,
        BufferView loss, BufferView? dh);

    /// <summary>
    /// Contractive penalty of a dense code layer h = f(x Wᵀ + b), W [units, inputs]: the squared Frobenius norm of the
    /// encoder Jacobian averaged over the batch, P = strength/batch · Σ_{b,j} g(h_bj) S_j with S_j = Σ_i W_ji² and
    /// g(h) = (h(1-h))² for <see cref="Activation.Sigmoid"/> or [h &gt; 0] for <see cref="Activation.Relu"/> (nothing else).
    /// Gradients: ∂P/∂h_bj = strength/batch · g'(h_bj) S_j (g' = 2h(1-h)(1-2h), 0 for ReLU), which the layer's own
    /// backward rule carries through the activation to W, b and x; and the direct term ∂P/∂W_ji = strength/batch · 2 c_j W_ji,
    /// c_j = Σ_b g(h_bj). <b>Accumulates</b> into each output that is given: loss[0] += P, dh += ∂P/∂h, dWeight += ∂P/∂W
    /// (separate so that dh can go in before the layer's backward rule and dW after its weight-gradient GEMM, which overwrites).
    /// Fixed-order sums, no atomics; outputs must not alias inputs.
    /// </summary>
    void ContractivePenalty(Activation activation, int batch, int units, int inputs, BufferView h, BufferView weight,
        float strength, BufferView? loss, BufferView? dh, BufferView? dWeight);

    // ---- optimizer ----------------------------------------------------------------------------

    /// <summary>Updates all parameters in one launch (PyTorch's rules, see <see cref="OptimizerStep"/>).
    /// <paramref name="state1"/> is the momentum buffer / first moment / RMSprop square average,
    /// <paramref name="state2"/> Adam's second moment or RMSprop's momentum buffer, <paramref name="state3"/> centred
    /// RMSprop's gradient average; views the rule does not use (<see cref="OptimizerStep.UsesState1"/> ...) may be empty.
    /// Updates parameters and state in place.</summary>
    void OptimizerUpdate(in OptimizerStep step, BufferView parameters, BufferView gradients,
        BufferView state1, BufferView state2, BufferView state3 = default);

    // ---- data movement and random numbers ------------------------------------------------------

    /// <summary>destination[i, :] = source[indices[i], :] for rows of <paramref name="rowLength"/>;
    /// indices is an Int32 view. Overwrites.</summary>
    void GatherRows(BufferView source, int rowLength, BufferView indices, BufferView destination);

    /// <summary>Counter-based (Philox4x32-10) numbers: element i uses counter (offset + i/4) and key
    /// seed, so every backend produces the same stream. Uniform in [0,1) or standard normal
    /// (Box-Muller). Overwrites.</summary>
    void Random(RandomDistribution distribution, ulong seed, ulong offset, BufferView destination);

    /// <summary>
    /// <see cref="Random"/> for training step <paramref name="step"/> (1-based, the optimizer's t): the stream
    /// starts at counter step * ceil(length / 4), so every step draws fresh numbers (noise, VAE samples) and
    /// a resumed run draws the same ones. Under step capture (<see cref="IStepCapture"/>) the backend reads t
    /// from the replayed step's table instead of this argument. Overwrites.
    /// </summary>
    void RandomForStep(RandomDistribution distribution, ulong seed, int step, BufferView destination) =>
        Random(distribution, seed, RandomStreams.StepOffset(step, destination.Length), destination);

    // ---- VAE reparameterization (kernels/*/vae.*) ----------------------------------------------

    /// <summary>
    /// z = mean + exp(logVar / 2) * epsilon, elementwise over views of one length (the latent of a VAE:
    /// [batch, units] each). Overwrites z.
    /// </summary>
    void VaeReparameterizeForward(BufferView mean, BufferView logVar, BufferView epsilon, BufferView z);

    /// <summary>
    /// The reparameterization's backward fused with the KL term KL = ½ Σ (mean² + exp(logVar) − 1 − logVar)
    /// (KL(N(mean, exp(logVar)) ‖ N(0, 1)) summed over all elements): loss[0] (=, or += when
    /// <paramref name="accumulateLoss"/>) klScale · KL, summed in a fixed order (no atomics). When
    /// <paramref name="gradients"/> is given it also overwrites dMean = dz + klScale·mean and
    /// dLogVar = ½ dz·exp(logVar/2)·epsilon + ½ klScale·(exp(logVar) − 1); dMean may alias dz, dLogVar may not.
    /// klScale = beta / batch gives the per-image mean of beta·KL. Without gradients epsilon is not read.
    /// </summary>
    void VaeReparameterizeBackward(BufferView mean, BufferView logVar, BufferView epsilon, float klScale,
        BufferView loss, bool accumulateLoss, VaeGradients? gradients);

    // ---- reductions ---------------------------------------------------------------------------

    /// <summary>result[0] = Σ x (fixed order). Overwrites, or accumulates when <paramref name="accumulate"/>.</summary>
    void Sum(BufferView x, BufferView result, bool accumulate);

    /// <summary>result[r] = Σ_c x[r, c] for a row-major [rows, cols] matrix. Overwrites.</summary>
    void RowSums(int rows, int cols, BufferView x, BufferView result);
}

public enum RandomDistribution { Uniform, Normal }

/// <summary>Where the random streams of <see cref="IBackend.RandomForStep"/> start.</summary>
public static class RandomStreams
{
    /// <summary>The Philox counter of step <paramref name="step"/>'s stream for <paramref name="length"/> values:
    /// step * ceil(length / 4), so consecutive steps never share a block.</summary>
    public static ulong StepOffset(int step, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return (ulong)step * (ulong)((length + 3) / 4);
    }
}
/// <summary>The gradient views of <see cref="IBackend.VaeReparameterizeBackward"/>: dL/dz in, dL/dmean and
/// dL/dlogVar out (each as long as the latent).</summary>
public readonly record struct VaeGradients(BufferView Dz, BufferView DMean, BufferView DLogVar);
