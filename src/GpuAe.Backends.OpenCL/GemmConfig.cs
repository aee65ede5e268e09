namespace GpuAe.Backends.OpenCL;

/// <summary>Which GEMM kernel family of gemm.cl a device runs.</summary>
public enum GemmVariant
{
    /// <summary>Barrier-free register blocking (CPU_MR x 16 per work-item, local size 1x1): CPU devices.</summary>
    RegisterBlocked,
    /// <summary>Local-memory tiles with register blocking: GPUs.</summary>
    Tiled,
}

/// <summary>GEMM tuning for one device: the variant and the -D tile sizes of gemm.cl.</summary>
public sealed record GemmConfig(GemmVariant Variant, int CpuMr = 8, int Tsm = 64, int Tsn = 64, int Tsk = 16, int Wptm = 4, int Wptn = 4)
{
    public int LocalM => Tsm / Wptm;
    public int LocalN => Tsn / Wptn;

    internal string BuildOptions => Variant == GemmVariant.RegisterBlocked
        ? $"-D CPU_MR={CpuMr}"
        : $"-D TSM={Tsm} -D TSN={Tsn} -D TSK={Tsk} -D WPTM={Wptm} -D WPTN={Wptn}";

    internal void Validate(long maxWorkGroupSize)
    {
        if (Variant == GemmVariant.RegisterBlocked)
        {
            if (CpuMr is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(CpuMr), CpuMr, "CPU_MR must be 1..16");
            return;
        }
        if (Tsm % Wptm != 0 || Tsn % Wptn != 0)
            throw new ArgumentException($"GEMM tiles {Tsm}x{Tsn} are not multiples of the per-work-item block {Wptm}x{Wptn}");
        if ((long)LocalM * LocalN > maxWorkGroupSize)
            throw new ArgumentException($"GEMM work-group {LocalN}x{LocalM} exceeds the device maximum {maxWorkGroupSize}");
    }

    /// <summary>
    /// The per-device table. Matched on device type and vendor; CPU entries come from measurements on
    /// PoCL (2-core AVX-512 EPYC); GPU entries are conservative starting points, not yet tuned on hardware.
    /// </summary>
    public static GemmConfig For(OpenClDeviceInfo device)
    {
        if (device.Type == "CPU") return new GemmConfig(GemmVariant.RegisterBlocked, CpuMr: 8);
        var vendor = device.Vendor.ToUpperInvariant();
        if (vendor.Contains("NVIDIA")) return new GemmConfig(GemmVariant.Tiled, Tsm: 128, Tsn: 128, Tsk: 16, Wptm: 8, Wptn: 8);
        if (vendor.Contains("ADVANCED MICRO") || vendor.Contains("AMD")) return new GemmConfig(GemmVariant.Tiled, Tsm: 64, Tsn: 64, Tsk: 16, Wptm: 4, Wptn: 4);
        if (vendor.Contains("INTEL")) return new GemmConfig(GemmVariant.Tiled, Tsm: 32, Tsn: 64, Tsk: 16, Wptm: 4, Wptn: 4);
        return new GemmConfig(GemmVariant.Tiled, Tsm: 32, Tsn: 32, Tsk: 16, Wptm: 2, Wptn: 2);
    }
}
