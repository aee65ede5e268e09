using System.Globalization;

namespace GpuAe.Conformance;

/// <summary>Element check used by the conformance suite: |subject - reference| &lt;= Absolute + Relative * |reference|.
/// NaN must match NaN; ±∞ must match exactly.</summary>
public readonly record struct Tolerance(double Absolute, double Relative)
{
    public static Tolerance Exact => new(0, 0);

    public double Allowed(double reference) => Absolute + Relative * Math.Abs(reference);

    public override string ToString() => Absolute == 0 && Relative == 0
        ? "exact"
        : string.Create(CultureInfo.InvariantCulture, $"abs {Absolute:0.#E+0} + rel {Relative:0.#E+0}·|ref|");
}

/// <summary>The outcome of one kernel over all its cases.</summary>
/// <param name="Kernel">The IBackend method (with a variant in parentheses where useful).</param>
/// <param name="MaxAbsError">Largest |subject - reference| over every compared element.</param>
/// <param name="WorstRatio">Largest error / allowed error (&lt;= 1 passes).</param>
/// <param name="FirstFailure">The first failing case, what differed and where; null when all passed.</param>
public sealed record KernelReport(string Kernel, int Cases, int FailedCases, double MaxAbsError, double WorstRatio,
    Tolerance Tolerance, string? FirstFailure)
{
    public bool Passed => FailedCases == 0;

    /// <summary>One line: "PASS Gemm  48 cases  max |err| 3.1E-006  err/tol 0.03  tol abs 1E-4 + rel 1E-4·|ref|".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(Passed ? "PASS" : "FAIL")} {Kernel,-28} {Cases,3} cases  max |err| {MaxAbsError,9:0.00E+0}  err/tol {WorstRatio,5:0.00}  tol {Tolerance}")
        + (Passed ? "" : $"  ({FailedCases} failed; first: {FirstFailure})");
}

/// <summary>All kernels of one subject backend against one reference backend.</summary>
public sealed record ConformanceReport(string Reference, string Subject, int Seed, IReadOnlyList<KernelReport> Kernels)
{
    public bool AllPassed => Kernels.All(k => k.Passed);
    public int FailedKernels => Kernels.Count(k => !k.Passed);
}
