using GpuAe.Visualization;

namespace GpuAe.Tests.Visualization;

public class AxisTests
{
    [Fact]
    public void Linear_ticks_are_nice_numbers_enclosing_the_data()
    {
        var axis = Axis.Fit(new AxisSpec([0.093, 0.27]), maxTicks: 5);
        Assert.Equal(["0.05", "0.10", "0.15", "0.20", "0.25", "0.30"], axis.Ticks.Select(axis.Format));
        Assert.True(axis.Min <= 0.093 && axis.Max >= 0.27);
    }

    [Fact]
    public void Integer_range_gets_integer_labels_and_zero_is_not_negative()
    {
        var axis = Axis.Fit(new AxisSpec([-3.0, 50.0]), maxTicks: 7);
        Assert.Equal(["-10", "0", "10", "20", "30", "40", "50"], axis.Ticks.Select(axis.Format));
    }

    [Fact]
    public void Constant_and_empty_data_still_give_a_range()
    {
        var constant = Axis.Fit(new AxisSpec([2.5, 2.5, double.NaN]), 5);
        Assert.True(constant.Min < 2.5 && constant.Max > 2.5);
        var zero = Axis.Fit(new AxisSpec([0.0]), 5);
        Assert.True(zero.Min < 0 && zero.Max > 0);
        var empty = Axis.Fit(new AxisSpec([]), 5);
        Assert.True(empty.Max > empty.Min);
        Assert.Equal(0.5, empty.Fraction((empty.Min + empty.Max) / 2), 9);
    }

    [Fact]
    public void Tiny_and_huge_values_use_exponent_labels()
    {
        var tiny = Axis.Fit(new AxisSpec([1e-6, 4e-6]), 5);
        Assert.All(tiny.Ticks.Skip(1), t => Assert.Contains("e-", tiny.Format(t)));
        var huge = Axis.Fit(new AxisSpec([0, 3e7]), 4);
        Assert.Equal("1e7", huge.Format(1e7));
    }

    [Fact]
    public void Log_axis_over_one_decade_labels_1_2_5_and_skips_non_positive()
    {
        var axis = Axis.Fit(new AxisSpec([0.09, 0.3, 0, -1], Log: true), 6);
        Assert.Equal(["0.05", "0.1", "0.2", "0.5"], axis.Ticks.Select(axis.Format));
        Assert.True(double.IsNaN(axis.Fraction(0)));
        Assert.Contains(0.3, axis.MinorTicks.Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void Log_axis_over_many_decades_labels_powers_of_ten()
    {
        var axis = Axis.Fit(new AxisSpec([3e-5, 2.0], Log: true), 8);
        Assert.Equal(["1e-5", "0.0001", "0.001", "0.01", "0.1", "1", "10"], axis.Ticks.Select(axis.Format));
    }
}
