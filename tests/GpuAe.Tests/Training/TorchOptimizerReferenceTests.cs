using System.Text.Json;
using System.Text.Json.Nodes;
using GpuAe.Backends;
using GpuAe.Backends.Cpu;
using GpuAe.Models;
using GpuAe.Tests.Cpu;
using GpuAe.Tests.OpenCL;
using GpuAe.Training;

namespace GpuAe.Tests.Training;

/// <summary>
/// torch.optim's own trajectories (Training/Fixtures/torch_optim_reference.json, made by benchmarks/compare/torch_optim_reference.py
/// with PyTorch 1.13; the command is in the file): SGD, momentum, dampening, Nesterov, RMSprop (PyTorch and Keras
/// defaults, centred, momentum), Adam and AdamW with their options and weight decay, each from the GpuAe recipe JSON
/// the case names, ten steps on a float32 quadratic bowl, p compared after every step. The CPU and OpenCL kernels must
/// agree to float32 rounding: within <see cref="Ulps"/> units in the last place of the parameter's largest magnitude. Also the rates of
/// StepLR, CosineAnnealingLR and ReduceLROnPlateau per epoch, to double rounding.
/// </summary>
[Collection("OpenCL")]
public sealed class TorchOptimizerReferenceTests(OpenClFixture openCl)
{
    /// <summary>The float kernels do PyTorch's operations in its order, fusing the multiply-adds its CPU kernels fuse; a
    /// last-bit difference (a square root, a division) may carry a little further over ten steps.</summary>
    private const int Ulps = 4;

    private static readonly Lazy<JsonObject> Fixture = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Training", "Fixtures", "torch_optim_reference.json")))!.AsObject());

    public static TheoryData<string> OptimizerCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Fixture.Value["optimizers"]!.AsArray()) data.Add((string)c!["name"]!);
        return data;
    }

    public static TheoryData<string> ScheduleCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Fixture.Value["schedules"]!.AsArray()) data.Add((string)c!["name"]!);
        return data;
    }

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Cpu_kernel_follows_torch_optim(string name)
    {
        using var cpu = new CpuBackend();
        AssertTrajectory(cpu, name, Ulps);
    }

    [SkippableTheory]
    [MemberData(nameof(OptimizerCases))]
    public void OpenCl_kernel_follows_torch_optim(string name) => AssertTrajectory(openCl.Require(), name, Ulps);

    /// <summary>The double-precision CPU backend runs the same rules without float rounding: PyTorch's float trajectory
    /// must lie within float rounding of it (relative 1e-5 after ten steps), which checks the rules, not the bits.</summary>
    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Double_backend_is_within_float_rounding_of_torch(string name)
    {
        using var cpu = new CpuBackend<double>();
        var (c, recipe) = Case(name);
        var expected = Trajectory(c);
        var got = Run(cpu, recipe, c);
        for (int s = 0; s < expected.Length; s++)
            for (int i = 0; i < expected[s].Length; i++)
                Assert.True(Math.Abs(got[s][i] - expected[s][i]) <= 1e-7 + 1e-5 * Math.Abs(expected[s][i]),
                    $"{name} step {s + 1} p[{i}]: double rules {got[s][i]:R}, torch {expected[s][i]:R}");
    }

    [Theory]
    [MemberData(nameof(ScheduleCases))]
    public void Schedule_rates_match_torch_lr_scheduler(string name)
    {
        var c = Fixture.Value["schedules"]!.AsArray().Single(s => (string)s!["name"]! == name)!;
        var schedule = JsonSerializer.Deserialize(c["schedule"]!.ToJsonString(), SpecJsonContext.Default.LearningRateSchedule)!;
        var recipe = new TrainingRecipe(OptimizerKind.Sgd, (float)(double)c["learning_rate"]!, 1, 25) { Schedule = schedule }.WithResolvedSchedule();
        var control = new EpochControl(recipe);
        var losses = c["losses"] is JsonArray l ? l.Select(v => (double)v!).ToArray() : null;
        var rates = c["rates"]!.AsArray().Select(v => (double)v!).ToArray();
        for (int epoch = 0; epoch < rates.Length; epoch++)
        {
            Assert.True(Math.Abs(control.LearningRate - rates[epoch]) <= 1e-15 * rates[0],
                $"{name} epoch {epoch + 1}: lr {control.LearningRate:R}, torch {rates[epoch]:R}");
            control.EndEpoch(epoch + 1, losses?[epoch] ?? double.NaN, double.NaN);
        }
    }

    private static void AssertTrajectory(IBackend backend, string name, int ulps)
    {
        var (c, recipe) = Case(name);
        var expected = Trajectory(c);
        var got = Run(backend, recipe, c);
        for (int i = 0; i < expected[0].Length; i++)
        {
            // where a step nearly cancels a parameter (p - lr·g ≈ 0), one rounding of the terms is many ulps of the result:
            // measure in ulps of the largest magnitude the parameter has had
            float scale = (float)Math.Abs(InitialParameters[i]);
            for (int s = 0; s < expected.Length; s++) scale = Math.Max(scale, (float)Math.Abs(expected[s][i]));
            float ulp = MathF.BitIncrement(scale) - scale;
            for (int s = 0; s < expected.Length; s++)
            {
                float want = (float)expected[s][i], have = (float)got[s][i];
                Assert.True(Math.Abs(have - want) <= ulps * ulp,
                    $"{name} on {backend.Name}, step {s + 1}, p[{i}]: {have:R}, torch {want:R} ({Math.Abs(have - want) / ulp:0.#} ulps of {scale:R} apart)");
            }
        }
    }

    private static double[] InitialParameters => Fixture.Value["p0"]!.AsArray().Select(v => (double)v!).ToArray();

    private static (JsonNode Case, TrainingRecipe Recipe) Case(string name)
    {
        var c = Fixture.Value["optimizers"]!.AsArray().Single(o => (string)o!["name"]! == name)!;
        var json = c["recipe"]!.DeepClone().AsObject();
        json["batch_size"] = 1;
        json["epochs"] = 1;
        return (c, TrainingRecipe.FromJson(json.ToJsonString()));
    }

    private static double[][] Trajectory(JsonNode c) =>
        c["trajectory"]!.AsArray().Select(step => step!.AsArray().Select(v => (double)v!).ToArray()).ToArray();

    /// <summary>The fixture's problem on <paramref name="backend"/>: g = (p - c) * a formed in the backend's precision,
    /// one OptimizerUpdate per step with the recipe's resolved hyper-parameters (and its schedule's rate per epoch).</summary>
    private static double[][] Run(IBackend backend, TrainingRecipe recipe, JsonNode c)
    {
        double[] Values(string key) => Fixture.Value[key]!.AsArray().Select(v => (double)v!).ToArray();
        double[] p0 = Values("p0"), centre = Values("c"), a = Values("a");
        int n = p0.Length, steps = (int)Fixture.Value["steps"]!, perEpoch = (int?)c["steps_per_epoch"] ?? int.MaxValue;
        bool exact = backend is CpuBackend<double>;
        var p = backend.Reals(p0);
        var g = backend.Reals(new double[n]);
        var s1 = backend.Reals(new double[n]);
        var s2 = backend.Reals(new double[n]);
        var s3 = backend.Reals(new double[n]);
        var control = new EpochControl(recipe);
        var rates = c["learning_rates"]?.AsArray().Select(v => (double)v!).ToArray();
        var result = new double[steps][];
        for (int step = 1; step <= steps; step++)
        {
            var now = Download(backend, p);
            var gradient = new double[n];
            for (int i = 0; i < n; i++)
                gradient[i] = exact ? (now[i] - (float)centre[i]) * (float)a[i] : (float)((float)now[i] - (float)centre[i]) * (float)a[i];
            Upload(backend, g, gradient);
            if (rates is not null) Assert.Equal(rates[step - 1], control.LearningRate);
            backend.OptimizerUpdate(recipe.OptimizerStepAt(control.LearningRate, step), p, g, s1, s2, s3);
            result[step - 1] = Download(backend, p);
            if (step % perEpoch == 0) control.EndEpoch(step / perEpoch, 0, double.NaN);
        }
        return result;
    }

    private static double[] Download(IBackend backend, BufferView view)
    {
        if (backend is CpuBackend<double> exact)
        {
            var d = new double[view.Length];
            exact.Download(view, d);
            return d;
        }
        return Array.ConvertAll(backend.Floats(view), v => (double)v);
    }

    private static void Upload(IBackend backend, BufferView view, double[] values)
    {
        if (backend is CpuBackend<double> exact) exact.Upload(view, values);
        else backend.Upload(view, Array.ConvertAll(values, v => (float)v));
    }
}
