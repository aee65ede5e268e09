using System.Diagnostics;
using GpuAe.IO;

namespace GpuAe.Tests.Cli;

/// <summary>The run-folder lock, stale temp files and the output-folder checks every writing command makes first.</summary>
[Collection("cli")]
public class RunFolderTests
{
    [Fact]
    public void A_second_lock_on_the_same_folder_fails_naming_the_holder_and_is_free_after_release()
    {
        using var dir = new TempDirectory();
        using (var first = RunFolderLock.Acquire(dir.Path, "gpuae train"))
        {
            Assert.Null(first.StaleOwner);
            var busy = Assert.Throws<RunFolderBusyException>(() => RunFolderLock.Acquire(dir.Path, "gpuae train"));
            Assert.Equal(Environment.ProcessId, busy.HolderPid);
            Assert.Contains($"in use by process {Environment.ProcessId} (gpuae train since ", busy.Message);
        }
        Assert.False(File.Exists(dir.File(RunFolderLock.OwnerFile)));
        using var again = RunFolderLock.Acquire(dir.Path, "gpuae train");
        Assert.Null(again.StaleOwner);
    }

    [Fact]
    public void Another_process_writing_into_a_locked_folder_stops_at_once_naming_the_holders_pid()
    {
        using var dir = new TempDirectory();
        using var held = RunFolderLock.Acquire(dir.Path, "gpuae train");
        var watch = Stopwatch.StartNew();
        // The data folder does not exist: the child must stop at the lock, before it looks for data.
        var (code, _, error) = CliRunner.RunProcess(TimeSpan.FromMinutes(2),
            "train", "--backend", "cpu", "--epochs", "1", "--data", "/nonexistent-gpuae-data", "--out", dir.Path);
        Assert.Equal(1, code);
        Assert.Contains($"error: --out {dir.Path}: {dir.Path} is in use by process {Environment.ProcessId} (gpuae train since", error);
        Assert.DoesNotContain("nonexistent-gpuae-data", error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    [Fact]
    public void The_lock_of_a_process_that_died_is_taken_over()
    {
        using var dir = new TempDirectory();
        int deadPid;
        using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            gone.WaitForExit();
            deadPid = gone.Id;
        }
        // What a killed holder leaves: the lock file (its flock died with it) and its owner file.
        File.WriteAllText(dir.File(RunFolderLock.LockFile), "");
        File.WriteAllText(dir.File(RunFolderLock.OwnerFile), $"{deadPid} gpuae train since 2026-01-01T00:00:00Z\n");

        using var taken = RunFolderLock.Acquire(dir.Path, "gpuae encode");
        Assert.Equal($"{deadPid} gpuae train since 2026-01-01T00:00:00Z", taken.StaleOwner);
        Assert.StartsWith($"{Environment.ProcessId} gpuae encode since ", File.ReadAllText(dir.File(RunFolderLock.OwnerFile)));
    }

    [Fact]
    public void Only_temp_files_of_killed_atomic_writes_are_removed()
    {
        using var dir = new TempDirectory();
        string stale = $".model.safetensors.{Guid.NewGuid():N}.tmp";
        string[] keep = ["notes.tmp", ".model.safetensors.tmp", $"model.safetensors.{Guid.NewGuid():N}.tmp", $".x.{Guid.NewGuid():N}.tmp.bak", ".x.0123.tmp"];
        foreach (string name in keep.Append(stale)) File.WriteAllText(dir.File(name), "x");

        Assert.Equal([stale], AtomicFile.RemoveStaleTemporaries(dir.Path));
        Assert.False(File.Exists(dir.File(stale)));
        Assert.All(keep, name => Assert.True(File.Exists(dir.File(name)), name));
        // and the name AtomicFile writes through matches the pattern it cleans
        string temp = Path.GetFileName(AtomicFile.TemporaryFor(dir.File("metrics.json")));
        File.WriteAllText(dir.File(temp), "x");
        Assert.Equal([temp], AtomicFile.RemoveStaleTemporaries(dir.Path));
    }

    [Fact]
    public void Out_that_is_a_file_or_below_one_is_a_clear_error_before_any_work()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("taken"), "x");
        foreach (var (command, args) in new (string, string[])[]
        {
            ("train", ["--epochs", "1", "--backend", "cpu"]),
            ("anomaly", ["--normal-class", "1", "--backend", "cpu"]),
            ("pca", ["--backend", "cpu"]),
        })
        {
            var (code, _, error) = CliRunner.Run([command, .. args, "--data", "/nonexistent-gpuae-data", "--out", dir.File("taken")]);
            Assert.Equal(1, code);
            Assert.Equal($"error: --out {dir.File("taken")}: {dir.File("taken")} is a file; give a folder to write into", error.Trim());

            (code, _, error) = CliRunner.Run([command, .. args, "--data", "/nonexistent-gpuae-data", "--out", dir.File("taken/run")]);
            Assert.Equal(1, code);
            Assert.Contains($"{dir.File("taken")} is a file, so {dir.File("taken/run")} cannot be a folder", error);
        }
        var (c, _, e) = CliRunner.Run("train", "--epochs", "1", "--backend", "cpu", "--data", "/nonexistent-gpuae-data", "--out", "/proc/gpuae-not-writable");
        Assert.Equal(1, c);
        Assert.StartsWith("error: --out /proc/gpuae-not-writable: cannot create the folder", e);
    }
}
