using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GpuAe.Benchmarks;

/// <summary>GEMM benchmark columns: median and GFLOP/s, with shape labels shown in full.</summary>
public sealed class GemmConfig : ManualConfig
{
    public GemmConfig()
    {
        AddColumn(StatisticColumn.Median, new GFlopsColumn());
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(40);
    }
}

/// <summary>2mnk / median time, from the <see cref="GemmShape"/> parameter of each case. The median,
/// not the mean, because the build machines are shared and the odd preempted iteration is not GEMM.</summary>
public sealed class GFlopsColumn : IColumn
{
    public string Id => nameof(GFlopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second (2mnk / median), in 10^9";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var shape = benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<GemmShape>().FirstOrDefault();
        double? medianNs = summary[benchmarkCase]?.ResultStatistics?.Median;
        return shape is null || medianNs is not > 0 ? "-" : (shape.Flops / medianNs.Value).ToString("F1");
    }
}
