using SharpFuzz;

namespace GpuAe.Fuzz;

/// <summary>
/// <c>GpuAe.Fuzz TARGET</c> under afl-fuzz runs the target on AFL's inputs (run.sh instruments GpuAe.dll first);
/// <c>GpuAe.Fuzz TARGET FILE...</c> replays inputs (exit 1 if any crashes); <c>--list</c> prints the targets;
/// <c>--seeds DIR</c> writes the seed corpus.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is ["--list"])
        {
            foreach (FuzzTarget t in FuzzTargets.All) Console.WriteLine(t.Name);
            return 0;
        }
        if (args is ["--seeds", string dir])
        {
            SeedCorpus.Write(dir);
            return 0;
        }
        if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
        {
            Console.Error.WriteLine($"usage: GpuAe.Fuzz TARGET [FILE...] | --list | --seeds DIR; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
            return 2;
        }
        if (args.Length > 1)
            return Replay(target, args[1..]);

        // AFL hands each input over as a stream; copying it to an array lets a target read it like a file.
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Run(buffer.ToArray());
        });
        return 0;
    }

    private static int Replay(FuzzTarget target, string[] files)
    {
        int crashes = 0;
        foreach (string file in files)
        {
            try
            {
                Exception? error = target.Run(File.ReadAllBytes(file));
                Console.WriteLine($"{file}: {(error is null ? "parsed" : $"rejected: {error.Message}")}");
            }
            catch (Exception e)
            {
                crashes++;
                Console.WriteLine($"{file}: CRASH ({target.Name} may only throw {target.DocumentedError.Name}):\n{e}");
            }
        }
        return crashes == 0 ? 0 : 1;
    }
}
